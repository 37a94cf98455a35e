package dev.lethe.job.report;

import dev.lethe.eval.Stopwatch;

/** Wall-clock seconds as the job reports them: measured from {@link System#nanoTime()}. */
public final class Seconds {

  private Seconds() {}

  /** Seconds elapsed since {@code startNanos}, a {@link System#nanoTime()} reading. */
  public static double since(long startNanos) {
    return Stopwatch.secondsSince(startNanos);
  }

  /** {@code seconds} rounded to milliseconds, as the report and the summary line print them. */
  public static double round(double seconds) {
    return Math.round(seconds * 1e3) / 1e3;
  }
}
