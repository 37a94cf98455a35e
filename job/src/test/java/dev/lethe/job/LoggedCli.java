package dev.lethe.job;

import dev.lethe.job.JobFixtures.CliRun;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Runs the CLI as {@link JobFixtures#cli} does, with Lethe's log lines in the captured stderr too:
 * the test logging configuration's console appender follows {@link System#setErr}, as a user's
 * terminal shows both on stderr.
 */
public final class LoggedCli {

  private LoggedCli() {}

  /** Runs {@code args}; stderr holds the log lines and LetheMain's own stderr, in order. */
  public static synchronized CliRun run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream before = System.err;
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      System.setErr(e);
      try {
        code = LetheMain.run(args, o, e);
      } finally {
        System.setErr(before);
      }
    }
    String stderr = err.toString(StandardCharsets.UTF_8);
    before.print(stderr);
    return new CliRun(code, out.toString(StandardCharsets.UTF_8), stderr);
  }
}
