package dev.lethe.chart;

/**
 * The per-sample losses that the membership-inference attack compares, as histograms over one set
 * of bins: the forget set's and the non-members' (the held-out sample, or the test set), under the
 * original model (before) and the unlearned one (after).
 */
public record LossHistograms(
    String nonMembers,
    Histogram forgetBefore,
    Histogram forgetAfter,
    Histogram nonMembersBefore,
    Histogram nonMembersAfter) {

  /** Bins of each histogram. */
  public static final int BINS = 30;

  /**
   * The histograms of the four loss sets over the range of all of them.
   *
   * @param nonMembers what the non-members are, for the legend ("held-out sample", "test set")
   */
  public static LossHistograms of(
      String nonMembers,
      double[] forgetBefore,
      double[] forgetAfter,
      double[] nonMembersBefore,
      double[] nonMembersAfter) {
    double[] r = Histogram.range(forgetBefore, forgetAfter, nonMembersBefore, nonMembersAfter);
    return new LossHistograms(
        nonMembers,
        Histogram.of(forgetBefore, r[0], r[1], BINS),
        Histogram.of(forgetAfter, r[0], r[1], BINS),
        Histogram.of(nonMembersBefore, r[0], r[1], BINS),
        Histogram.of(nonMembersAfter, r[0], r[1], BINS));
  }
}
