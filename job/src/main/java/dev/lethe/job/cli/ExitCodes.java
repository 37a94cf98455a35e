package dev.lethe.job.cli;

import dev.lethe.job.failure.FailureReason;

/**
 * The process exit codes of {@code lethe}, and the one for each failure reason; README.md's
 * exit-code table and {@code lethe --help} say the same.
 */
public final class ExitCodes {

  /** A run that succeeded: published, nothing to do, a valid dry run (or printed help). */
  public static final int OK = 0;

  /**
   * A run that failed: a missing or unusable input, a failed Spark job, or a {@code --report} that
   * could not be written; retrying may help.
   */
  public static final int FAILED = 1;

  /** A bad command line or setting. */
  public static final int USAGE = 2;

  /**
   * An unlearning run that did not reach its goal, or broke a publish gate: nothing was published;
   * retrying the same will not help.
   */
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
