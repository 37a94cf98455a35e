package dev.lethe.job.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A run that finished but did not reach its goal: nothing was published. {@code LetheMain} prints
 * the run's report as the last line (with {@code "status":"failed"}) and exits with {@link
 * #exitCode()}.
 */
public final class RunFailedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int exitCode;
  private final transient Map<String, Object> report;

  public RunFailedException(String message, int exitCode, Map<String, Object> report) {
    super(message);
    this.exitCode = exitCode;
    this.report = new LinkedHashMap<>(report);
  }

  /** The process exit code for this failure. */
  public int exitCode() {
    return exitCode;
  }

  /** The fields of the summary line, {@code "status":"failed"} first. */
  public Map<String, Object> report() {
    return report;
  }
}
