package dev.lethe.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class MembershipInferenceTest {

  @Test
  void aucCountsTiesAsHalf() {
    double[] scores = {0.9, 0.5, 0.5, 0.1};
    int[] labels = {1, 1, 0, 0};
    // pairs (pos, neg): (0.9,0.5)=1 (0.9,0.1)=1 (0.5,0.5)=0.5 (0.5,0.1)=1 -> 3.5/4
    assertThat(MembershipInference.auc(scores, labels)).as("auc").isEqualTo(0.875);
  }

  @Test
  void separableLossesAreFoundPerfectly() {
    double[] members = new double[40];
    double[] others = new double[40];
    Random r = new Random(1);
    for (int i = 0; i < 40; i++) {
      members[i] = 0.01 * r.nextDouble();
      others[i] = 1 + r.nextDouble();
    }
    MembershipInference.Result res = MembershipInference.attack(members, others, 5, 0);
    assertThat(res.accuracy()).as("accuracy").isEqualTo(1.0);
    assertThat(res.auc()).as("auc").isEqualTo(1.0);
    assertThat(res.folds()).as("folds").isEqualTo(5);
  }

  @Test
  void identicalDistributionsGiveChance() {
    double[] members = new double[1000];
    double[] others = new double[1000];
    Random r = new Random(2);
    for (int i = 0; i < 1000; i++) {
      members[i] = Math.abs(r.nextGaussian());
      others[i] = Math.abs(r.nextGaussian());
    }
    MembershipInference.Result res = MembershipInference.attack(members, others, 5, 0);
    assertThat(res.accuracy()).as("accuracy near chance").isCloseTo(0.5, within(0.05));
    assertThat(res.auc()).as("auc near chance").isCloseTo(0.5, within(0.05));
  }

  @Test
  void balancesTheLargerGroupAndUsesFewerFoldsForTinySets() {
    double[] members = {0.1, 0.2, 0.3};
    double[] others = {1, 2, 3, 4, 5, 6, 7, 8};
    MembershipInference.Result res = MembershipInference.attack(members, others, 5, 0);
    assertThat(res.members()).as("members").isEqualTo(3);
    assertThat(res.nonMembers()).as("non-members subsampled").isEqualTo(3);
    assertThat(res.folds()).as("folds capped by the group size").isEqualTo(3);
  }

  @Test
  void refusesTooFewSamples() {
    assertThatThrownBy(
            () -> MembershipInference.attack(new double[] {1}, new double[] {1, 2}, 5, 0))
        .as("too few")
        .hasMessageContaining("at least 2 members and 2 non-members, got 1 and 2");
  }
}
