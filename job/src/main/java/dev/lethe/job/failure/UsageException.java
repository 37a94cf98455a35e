package dev.lethe.job.failure;

/**
 * A bad command line or setting: an unknown option, a missing or malformed value, an unknown {@code
 * spark.lethe.*} key. The message names the option or key and says what to give instead; the job
 * exits with {@link LetheMain#EXIT_USAGE}.
 */
public final class UsageException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message);
  }
}
