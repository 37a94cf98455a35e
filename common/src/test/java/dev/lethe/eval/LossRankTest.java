package dev.lethe.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LossRankTest {

  private static double[] normal(SplittableRandom r, int n, double mean) {
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      // Box-Muller
      double u = 1 - r.nextDouble();
      double v = r.nextDouble();
      out[i] = mean + Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
    return out;
  }

  @Test
  void percentilesCountLowerReferenceLossesAndTiesHalf() {
    double[] reference = {1, 2, 3, 4};
    assertThat(LossRank.of(new double[] {0}, reference).percentile()).isZero();
    assertThat(LossRank.of(new double[] {5}, reference).percentile()).isEqualTo(1.0);
    assertThat(LossRank.of(new double[] {2.5f}, reference).percentile()).isEqualTo(0.5);
    assertThat(LossRank.of(new double[] {2}, reference).percentile())
        .as("one below, one tied")
        .isEqualTo(1.5 / 4);
    assertThat(LossRank.of(new double[] {0, 5}, reference).percentile()).isEqualTo(0.5);
  }

  @Test
  void samplesFromTheReferenceDistributionAreNotRejectedAndLowerLossesAre() {
    SplittableRandom r = new SplittableRandom(7);
    double[] reference = normal(r, 1000, 0);
    int rejected = 0;
    for (int trial = 0; trial < 200; trial++) {
      if (LossRank.of(normal(r, 16, 0), reference).p() < 0.05) {
        rejected++;
      }
    }
    assertThat(rejected).as("false rejections at the 5 %% level, of 200").isBetween(2, 20);
    LossRank.Result members = LossRank.of(normal(r, 16, -1.5), reference);
    assertThat(members.percentile()).isLessThan(0.25);
    assertThat(members.p()).as("training-like losses").isLessThan(1e-3);
    assertThat(LossRank.of(normal(r, 16, 1.5), reference).p())
        .as("higher losses than unseen data are not evidence of membership")
        .isGreaterThan(0.99);
  }

  @Test
  void normalCdfMatchesKnownValues() {
    assertThat(LossRank.normalCdf(0)).isCloseTo(0.5, within(1e-7));
    assertThat(LossRank.normalCdf(-1.959964)).isCloseTo(0.025, within(1e-6));
    assertThat(LossRank.normalCdf(1.644854)).isCloseTo(0.95, within(1e-6));
    assertThat(LossRank.normalCdf(-3.090232)).isCloseTo(0.001, within(1e-6));
  }

  @Test
  void emptyInputsAreRefusedWithTheirSizes() {
    assertThatThrownBy(() -> LossRank.of(new double[0], new double[] {1}))
        .hasMessage(
            "Cannot rank losses: 0 samples against 1 reference losses; both need at least one");
  }
}
