package dev.lethe.job.cli;

import dev.lethe.job.failure.FailureReason;

/** The process exit codes of {@code lethe}, and the one for each failure reason. */
public final class ExitCodes {

  /** A run that succeeded (or printed help). */
  public static final int OK = 0;

  /** A run that failed: a missing or unusable input, or a failed Spark job. */
  public static final int FAILED = 1;

  /** A bad command line or setting. */
  public static final int USAGE = 2;

  /** An unlearning run that did not reach its goal: nothing was published. */
  public static final int NOT_REACHED = 3;

  /**
   * Another sweep holds the ledger's lock: this one did nothing, or stopped before publishing more;
   * retry when that sweep has finished.
   */
  public static final int LOCKED = 4;

  private ExitCodes() {}

  /** The exit code of a failure reason. */
  public static int of(FailureReason reason) {
    return switch (reason) {
      case USAGE -> USAGE;
      case GOAL_NOT_REACHED -> NOT_REACHED;
      case FAILED -> FAILED;
      case LOCKED -> LOCKED;
    };
  }
}
