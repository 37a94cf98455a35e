package dev.lethe.job.report;

/**
 * Seconds as the job reports them, rounded to milliseconds (measured with lethe-common's {@link
 * dev.lethe.eval.Stopwatch}).
 */
public final class Seconds {

  private Seconds() {}

  /** {@code seconds} rounded to milliseconds, as the report and the summary line print them. */
  public static double round(double seconds) {
    return Math.round(seconds * 1e3) / 1e3;
  }
}
