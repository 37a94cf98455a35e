package dev.lethe.chart;

import java.util.Arrays;

/**
 * Counts of values in {@code counts.length} equal bins over {@code [lo, hi]}: a value below {@code
 * lo} counts in the first bin, one above {@code hi} (infinity included) in the last, so every value
 * is counted once; NaN values are counted apart, in {@code nan}.
 */
public record Histogram(double lo, double hi, long[] counts, long nan) {

  public Histogram {
    if (!(hi > lo) || counts.length == 0) {
      throw new IllegalArgumentException(
          "Cannot make a histogram over [" + lo + ", " + hi + "] with " + counts.length + " bins");
    }
    counts = counts.clone();
  }

  /** The histogram of {@code values} in {@code bins} bins over {@code [lo, hi]}. */
  public static Histogram of(double[] values, double lo, double hi, int bins) {
    long[] counts = new long[bins];
    long nan = 0;
    double width = (hi - lo) / bins;
    for (double v : values) {
      if (Double.isNaN(v)) {
        nan++;
        continue;
      }
      int bin = v <= lo ? 0 : v >= hi ? bins - 1 : (int) ((v - lo) / width);
      counts[Math.min(bins - 1, bin)]++;
    }
    return new Histogram(lo, hi, counts, nan);
  }

  /**
   * The range {@code [min, max]} of the finite values of all {@code sets}, so histograms made over
   * it share their bins; {@code [0, 1]} when there are none, and one unit wide when all are equal.
   */
  public static double[] range(double[]... sets) {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (double[] set : sets) {
      for (double v : set) {
        if (Double.isFinite(v)) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
      }
    }
    if (min > max) {
      return new double[] {0, 1};
    }
    return max > min ? new double[] {min, max} : new double[] {min - 0.5, max + 0.5};
  }

  @Override
  public long[] counts() {
    return counts.clone();
  }

  /** The number of values counted in the bins (NaN values left out). */
  public long total() {
    return Arrays.stream(counts).sum();
  }

  /** Each bin's share of {@link #total} (zeros when it is 0). */
  public double[] fractions() {
    long total = total();
    return Arrays.stream(counts).mapToDouble(c -> total == 0 ? 0 : c / (double) total).toArray();
  }

  /** The left edge of each bin. */
  public double[] lefts() {
    double width = (hi - lo) / counts.length;
    double[] out = new double[counts.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = lo + i * width;
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Histogram h
        && h.lo == lo
        && h.hi == hi
        && h.nan == nan
        && Arrays.equals(h.counts, counts);
  }

  @Override
  public int hashCode() {
    return Double.hashCode(lo) * 31 + Arrays.hashCode(counts);
  }

  @Override
  public String toString() {
    return "Histogram[" + lo + ", " + hi + "] " + Arrays.toString(counts) + " nan " + nan;
  }
}
