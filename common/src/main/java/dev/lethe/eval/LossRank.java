package dev.lethe.eval;

/**
 * Whether some samples' losses look like a reference sample's: the check behind an audit of goal
 * {@code unseen}. Each sample's percentile is the fraction of reference losses below its loss (ties
 * count half); their mean is the Mann-Whitney U statistic over m x n, which is 0.5 when the samples
 * are exchangeable with the reference (data the model never saw) and falls towards 0 when they have
 * lower losses, as training data does. The p-value is one-sided (losses lower than the
 * reference's), from the normal approximation of U under the null: mean 0.5, variance (n + m + 1) /
 * (12 m n).
 */
public final class LossRank {

  private LossRank() {}

  /**
   * @param percentile the mean percentile of the samples' losses among the reference losses
   * @param p one-sided p-value of "the samples' losses are lower than the reference's"
   * @param samples m
   * @param reference n
   */
  public record Result(double percentile, double p, int samples, int reference) {}

  /**
   * @throws IllegalArgumentException when either array is empty
   */
  public static Result of(double[] samples, double[] reference) {
    if (samples.length == 0 || reference.length == 0) {
      throw new IllegalArgumentException(
          "Cannot rank losses: "
              + samples.length
              + " samples against "
              + reference.length
              + " reference losses; both need at least one");
    }
    double[] sorted = reference.clone();
    java.util.Arrays.sort(sorted);
    double sum = 0;
    for (double loss : samples) {
      int below = lowerBound(sorted, loss);
      int notAbove = upperBound(sorted, loss);
      sum += (below + 0.5 * (notAbove - below)) / sorted.length;
    }
    int m = samples.length;
    int n = reference.length;
    double percentile = sum / m;
    double sd = Math.sqrt((n + m + 1) / (12.0 * m * n));
    return new Result(percentile, normalCdf((percentile - 0.5) / sd), m, n);
  }

  /** Index of the first value >= x. */
  private static int lowerBound(double[] sorted, double x) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] < x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** Index of the first value > x. */
  private static int upperBound(double[] sorted, double x) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] <= x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /**
   * The standard normal distribution function, from the complementary error function's rational
   * approximation (Numerical Recipes' erfcc, fractional error below 1.2e-7).
   */
  static double normalCdf(double z) {
    double x = Math.abs(z) / Math.sqrt(2);
    double t = 1 / (1 + 0.5 * x);
    double erfc =
        t
            * Math.exp(
                -x * x
                    - 1.26551223
                    + t
                        * (1.00002368
                            + t
                                * (0.37409196
                                    + t
                                        * (0.09678418
                                            + t
                                                * (-0.18628806
                                                    + t
                                                        * (0.27886807
                                                            + t
                                                                * (-1.13520398
                                                                    + t
                                                                        * (1.48851587
                                                                            + t
                                                                                * (-0.82215223
                                                                                    + t
                                                                                        * 0.17087277)))))))));
    return z >= 0 ? 1 - erfc / 2 : erfc / 2;
  }
}
