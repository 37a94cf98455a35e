package dev.lethe.job.failure;

/**
 * Why a job did not finish as asked. The job's library code reports a reason; only the command line
 * maps it to an exit code and the printed JSON line.
 */
public enum FailureReason {
  /** A bad command line, option value or setting: nothing ran. */
  USAGE,
  /** An unlearning run finished without reaching its goal: nothing was published. */
  GOAL_NOT_REACHED,
  /** An input is missing or unusable, or a Spark job failed. */
  FAILED,
  /** Another run holds the lock this one needs (a sweep on the same ledger): retry later. */
  LOCKED;

  /** The reason of an exception thrown by a run: {@link #USAGE} for a usage error, else failed. */
  public static FailureReason of(Throwable failure) {
    return failure instanceof UsageException ? USAGE : FAILED;
  }
}
