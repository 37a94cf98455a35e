package dev.lethe.job;

import dev.lethe.job.cli.ArgumentFiles;
import dev.lethe.job.cli.ConfigCommand;
import dev.lethe.job.cli.ExitCodes;
import dev.lethe.job.cli.JobCommand;
import dev.lethe.job.cli.LetheCommand;
import dev.lethe.job.cli.LetheHelp;
import dev.lethe.job.cli.Outcome;
import dev.lethe.job.cli.ParameterErrors;
import dev.lethe.job.cli.SettingFlags;
import dev.lethe.job.conf.ConfLayers;
import dev.lethe.job.conf.LetheConf;
import dev.lethe.job.failure.FailureMessages;
import dev.lethe.job.failure.FailureReason;
import dev.lethe.job.failure.UsageException;
import dev.lethe.job.report.JobJson;
import dev.lethe.job.report.ReportFile;
import dev.lethe.job.shutdown.RunGuard;
import dev.lethe.job.spark.SparkSessions;
import dev.lethe.job.storage.OutputProbe;
import dev.lethe.job.storage.S3aDefaults;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * The job's entry point: {@code lethe <command> [options]}, run by spark-submit, by
 * deploy/bin/lethe (embedded local Spark) or by a test through {@link #run}. The command line is
 * parsed by picocli ({@link LetheCommand}); this class is the one place that turns what a command
 * did, or why it failed ({@link FailureReason}), into the printed JSON line and the exit code.
 *
 * <p>The last line of standard output is one JSON object: {@code {"status":"ok",...}} with the
 * command's results, or {@code {"status":"failed","exit_code":N,"error":"..."}} with what the
 * command measured before it failed ({@link JobCommand#measured}). With {@code --report URI} the
 * same object is written to URI ({@link ReportFile}) whatever the outcome; a report that cannot be
 * written turns exit code 0 into {@link #EXIT_FAILED} and leaves any other. Messages go to standard
 * error, one line each; a failure's stack trace only with {@code --verbose} (and in the log at
 * DEBUG). Before a command that starts Spark does any work, every place it will write ({@link
 * JobCommand#outputs}, {@code --report}) is probed ({@link OutputProbe}), with s3a's timeouts and
 * retries bounded ({@link S3aDefaults}). Exit codes: {@link #EXIT_OK}, {@link #EXIT_FAILED} (an
 * input is missing or unusable, or the run failed), {@link #EXIT_USAGE} (an unknown option, a
 * malformed value or an unknown {@code spark.lethe.*} setting), {@link #EXIT_NOT_REACHED}, {@link
 * #EXIT_LOCKED}.
 *
 * <p>A run stopped by a signal (SIGTERM, SIGINT) prints {@code {"status":"interrupted",...}} last
 * instead, from a shutdown hook that first removes what the run was writing ({@link RunGuard}); the
 * JVM then exits with 128 + the signal's number (143 for SIGTERM, 130 for SIGINT).
 */
public final class LetheMain {

  /** Exit code of a run that succeeded (or printed help). */
  public static final int EXIT_OK = ExitCodes.OK;

  /** Exit code of a run that failed: a missing or unusable input, or a failed Spark job. */
  public static final int EXIT_FAILED = ExitCodes.FAILED;

  /** Exit code of a bad command line or setting. */
  public static final int EXIT_USAGE = ExitCodes.USAGE;

  /** Exit code of an unlearning run that did not reach its goal: nothing was published. */
  public static final int EXIT_NOT_REACHED = ExitCodes.NOT_REACHED;

  /** Exit code of a sweep refused because another sweep holds the ledger's lock. */
  public static final int EXIT_LOCKED = ExitCodes.LOCKED;

  private static final Logger LOG = LoggerFactory.getLogger(LetheMain.class);

  private LetheMain() {}

  /** Runs {@link #run} on the process's streams and exits with its code when it is not 0. */
  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    System.out.flush();
    if (code != EXIT_OK) {
      System.exit(code);
    }
  }

  /**
   * Runs a command with messages to standard error; see {@link #run(String[], PrintStream,
   * PrintStream)}.
   */
  public static int run(String[] args, PrintStream out) {
    return run(args, out, System.err);
  }

  /**
   * Runs a command: parses the arguments, finds or starts a Spark session (stopping it afterwards
   * only if it started it) and prints the JSON summary line last on {@code out}.
   *
   * @return {@link #EXIT_OK}, {@link #EXIT_FAILED}, {@link #EXIT_USAGE}, {@link #EXIT_NOT_REACHED}
   *     or {@link #EXIT_LOCKED}
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    // A signal during the run: the guard's hook cleans up and prints an "interrupted" line instead.
    try (RunGuard guard =
        RunGuard.arm(
            args.length > 0 ? args[0] : "",
            out,
            err,
            (uri, hadoop, line) -> writeReport(uri, hadoop, line, EXIT_FAILED, err))) {
      return run(args, out, err, guard);
    }
  }

  private static int run(String[] given, PrintStream out, PrintStream err, RunGuard guard) {
    String[] args = decodedFileUris(given);
    String commandName = args.length > 0 ? args[0] : "";
    List<String> commands = LetheCommand.commandNames();
    String reportUri = reportUri(args);
    Configuration hadoop = null;
    JobCommand command = null;
    boolean verbose = false;
    Map<String, Object> line;
    int code;
    try {
      if (args.length == 0) {
        throw new UsageException(
            "Cannot run lethe: no command given; give one of " + String.join(", ", commands));
      }
      if (isHelp(commandName) || commandName.equals("help")) {
        out.print(LetheHelp.all());
        return EXIT_OK;
      }
      if (commands.contains(commandName)
          && Arrays.stream(args).skip(1).anyMatch(LetheMain::isHelp)) {
        out.print(LetheHelp.of(commandName));
        return EXIT_OK;
      }
      ConfLayers layers = ConfLayers.load();
      LetheConf.from(layers.merged());
      CommandLine.Model.CommandSpec spec = parse(args);
      command = (JobCommand) spec.userObject();
      CommandLine.Model.OptionSpec report = spec.findOption("--report");
      reportUri = report == null ? null : report.getValue();
      guard.measured(command::measured);
      guard.report(reportUri, null);
      verbose = Boolean.TRUE.equals(spec.findOption("--verbose").getValue());
      command.validate();
      Outcome outcome;
      if (command instanceof ConfigCommand config) {
        outcome = config.show(layers, out);
      } else {
        try (SparkSessions.Handle spark =
            SparkSessions.open("lethe " + commandName, layers.staticConf(command.sparkConf()))) {
          // A copy: the report is written after the session stops (if this call started it).
          hadoop =
              new Configuration(
                  S3aDefaults.apply(spark.session().sparkContext().hadoopConfiguration()));
          guard.sparkContext(spark.session().sparkContext());
          guard.report(reportUri, hadoop);
          LetheConf conf = layers.letheConf(spark.session().sparkContext().getConf());
          List<OutputProbe.Location> outputs = new ArrayList<>(command.outputs());
          outputs.add(OutputProbe.Location.file("--report", reportUri));
          OutputProbe.check(hadoop, outputs);
          outcome = command.run(spark.session(), conf);
        }
      }
      line = summary(commandName, outcome);
      code = outcome.failure() == null ? EXIT_OK : ExitCodes.of(outcome.failure());
      if (outcome.failure() != null && !guard.interrupted()) {
        err.println(outcome.message());
      }
    } catch (UsageException e) {
      err.println(e.getMessage());
      err.println(
          "Run 'lethe "
              + (commands.contains(commandName) ? commandName + " " : "")
              + "--help' for the options.");
      code = EXIT_USAGE;
      line = failure(code, e.getMessage());
    } catch (Exception | Error e) {
      // Exception, not RuntimeException: Spark throws its checked SparkException undeclared.
      String message = SettingFlags.flagged(commandName, e, FailureMessages.describe(e));
      if (!guard.interrupted()) {
        err.println(message);
      }
      LOG.debug("{} failed: {}", commandName, message, e);
      if (verbose && !guard.interrupted()) {
        e.printStackTrace(err);
      }
      if (e instanceof OutputProbe.UnwritableOutputException u && u.option().equals("--report")) {
        reportUri = null; // said above; writing it again would only say it twice
      }
      code = ExitCodes.of(FailureReason.of(e));
      line = failure(code, message);
      if (command != null) {
        command.measured().forEach(line::putIfAbsent);
      }
    }
    if (!guard.finish()) {
      return code; // the guard's hook prints the interrupted line and writes the report
    }
    if (reportUri != null) {
      code = writeReport(reportUri, hadoop, line, code, err);
    }
    out.println(JobJson.line(line));
    return code;
  }

  /**
   * Writes the report of {@code --report}: the summary line's object. When that fails, says so in
   * one line on {@code err} and returns the run's exit code, or {@link #EXIT_FAILED} (and marks the
   * line failed) when the run itself succeeded: the caller did not get the report it asked for.
   */
  private static int writeReport(
      String uri, Configuration hadoop, Map<String, Object> line, int code, PrintStream err) {
    try {
      ReportFile.write(hadoop != null ? hadoop : hadoopConf(), uri, JobJson.line(line));
      return code;
    } catch (Exception | Error e) {
      String message =
          "Cannot write the report to "
              + uri
              + " (--report): "
              + FailureMessages.describe(e).replace('\n', ' ');
      err.println(message);
      if (code != EXIT_OK) {
        return code;
      }
      line.put("status", "failed");
      line.put("exit_code", EXIT_FAILED);
      line.put("error", message);
      return EXIT_FAILED;
    }
  }

  /**
   * The Hadoop settings of a run that failed before its Spark session started: the {@code
   * spark.hadoop.*} properties (e.g. s3a's credentials provider), as Spark would apply them.
   */
  private static Configuration hadoopConf() {
    Configuration conf = S3aDefaults.apply(new Configuration());
    for (scala.Tuple2<String, String> kv : new SparkConf().getAll()) {
      if (kv._1().startsWith("spark.hadoop.")) {
        conf.set(kv._1().substring("spark.hadoop.".length()), kv._2());
      }
    }
    return conf;
  }

  /**
   * The {@code --report} URI as written in the arguments, for a command line that does not parse;
   * null when there is none.
   */
  private static String reportUri(String[] args) {
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--report") && i + 1 < args.length) {
        return args[i + 1];
      }
      if (args[i].startsWith("--report=")) {
        return args[i].substring("--report=".length());
      }
    }
    return null;
  }

  /**
   * {@code args} with every percent-encoded {@code file:} URI (alone or as {@code --name=URI})
   * decoded: Hadoop reads "file:///a%20b" as a folder named "a%20b", where every other tool that
   * writes URIs means "a b". Other schemes are left as given (an s3a key may hold '%').
   */
  static String[] decodedFileUris(String[] args) {
    String[] out = args.clone();
    for (int i = 0; i < out.length; i++) {
      String arg = out[i];
      int eq = arg.startsWith("--") ? arg.indexOf('=') : -1;
      String value = eq < 0 ? arg : arg.substring(eq + 1);
      if (!value.startsWith("file:") || !value.matches(".*%[0-9A-Fa-f]{2}.*")) {
        continue;
      }
      try {
        java.net.URI uri = new java.net.URI(value);
        String decoded =
            "file://" + (uri.getAuthority() == null ? "" : uri.getAuthority()) + uri.getPath();
        out[i] = eq < 0 ? decoded : arg.substring(0, eq + 1) + decoded;
      } catch (java.net.URISyntaxException e) {
        // not a well-formed URI: left as given, and the reader names it
      }
    }
    return out;
  }

  /** The subcommand the arguments name, with its options filled in. */
  private static CommandLine.Model.CommandSpec parse(String[] args) {
    CommandLine cli = LetheCommand.commandLine();
    CommandLine.ParseResult parsed;
    try {
      parsed = cli.parseArgs(ArgumentFiles.read(args));
    } catch (CommandLine.ParameterException e) {
      throw ParameterErrors.usage(e);
    }
    return parsed.subcommand().commandSpec();
  }

  /** The summary line of a command's outcome. */
  private static Map<String, Object> summary(String command, Outcome outcome) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("status", outcome.failure() == null ? "ok" : "failed");
    line.put("command", command);
    line.putAll(outcome.fields());
    if (outcome.failure() != null) {
      line.put("exit_code", ExitCodes.of(outcome.failure()));
      line.putIfAbsent("error", outcome.message());
    }
    return line;
  }

  private static boolean isHelp(String arg) {
    return arg.equals("--help") || arg.equals("-h");
  }

  private static Map<String, Object> failure(int code, String message) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("status", "failed");
    line.put("exit_code", code);
    line.put("error", message);
    return line;
  }
}
