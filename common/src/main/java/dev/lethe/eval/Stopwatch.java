package dev.lethe.eval;

/** Wall time of a phase, as the reports record it: seconds from a {@link System#nanoTime()}. */
public final class Stopwatch {

  private Stopwatch() {}

  /** Seconds elapsed since {@code startNanos}, a value of {@link System#nanoTime()}. */
  public static double secondsSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
