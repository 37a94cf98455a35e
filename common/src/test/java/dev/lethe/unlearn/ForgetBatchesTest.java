package dev.lethe.unlearn;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ForgetBatchesTest {

  @Test
  void theCycleWalksTheStageInRequestOrderAndWrapsAround() {
    ForgetBatches b = new ForgetBatches(false).startStage(5);
    assertThat(b.next(2, new int[] {4})).containsExactly(0, 1);
    assertThat(b.next(2, new int[] {4})).containsExactly(2, 3);
    assertThat(b.next(2, new int[] {4})).containsExactly(4, 0);
  }

  @Test
  void unforgottenInstancesComeFirstAndTheCycleFillsTheRestWithoutRepeatingThem() {
    ForgetBatches b = new ForgetBatches(true).startStage(6);
    assertThat(b.next(3, new int[] {4})).containsExactly(4, 0, 1);
    assertThat(b.next(3, new int[] {2, 4}))
        .as("the turn goes on at the second; the cycle skips 2, already in the batch")
        .containsExactly(4, 2, 3);
    assertThat(b.next(3, new int[] {2, 4}))
        .as("the cycle skips 4, already in the batch")
        .containsExactly(4, 2, 5);
  }

  @Test
  void moreUnforgottenThanABatchAreTakenInTurn() {
    ForgetBatches b = new ForgetBatches(true).startStage(8);
    int[] left = {1, 3, 5, 6, 7};
    assertThat(b.next(2, left)).containsExactly(1, 3);
    assertThat(b.next(2, left)).containsExactly(5, 6);
    assertThat(b.next(2, left)).containsExactly(7, 1);
  }

  @Test
  void aBatchThatHoldsTheWholeStageOrNoKnownUnforgottenIsThePlainCycle() {
    ForgetBatches whole = new ForgetBatches(true).startStage(3);
    assertThat(whole.next(3, new int[] {2})).containsExactly(0, 1, 2);
    ForgetBatches unseen = new ForgetBatches(true).startStage(5);
    assertThat(unseen.next(2, null)).containsExactly(0, 1);
    assertThat(unseen.next(0, new int[] {3})).as("a step without forget rows").isEmpty();
  }

  @Test
  void aNewStageStartsTheWalkAgainButNotTheTurnOfTheUnforgotten() {
    ForgetBatches b = new ForgetBatches(true).startStage(4);
    assertThat(b.next(2, new int[] {0, 3, 2})).containsExactly(0, 3);
    b.startStage(8);
    assertThat(b.next(2, new int[] {0, 3, 2})).containsExactly(2, 0);
    assertThat(b.next(4, new int[] {6})).containsExactly(6, 0, 1, 2);
  }
}
