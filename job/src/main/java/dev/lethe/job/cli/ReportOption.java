package dev.lethe.job.cli;

import picocli.CommandLine.Option;

/**
 * {@code --report URI}: where the run's report, the JSON object of its last output line, is also
 * written, whatever the outcome. A picocli mixin of every command; {@code LetheMain} writes it.
 */
public final class ReportOption {

  @Option(
      names = "--report",
      order = 90,
      paramLabel = "URI",
      description =
          "also write the last output line's JSON to URI (s3a://, file:// or a path), whatever the"
              + " outcome (default: none)")
  String uri;

  /** The report's URI, or null when none was given. */
  public String uri() {
    return uri;
  }
}
