package dev.lethe.job;

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
import dev.lethe.job.spark.SparkSessions;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * The job's entry point: {@code lethe <command> [options]}, run by spark-submit, by
 * deploy/bin/lethe (embedded local Spark) or by a test through {@link #run}. The command line is
 * parsed by picocli ({@link LetheCommand}); this class is the one place that turns what a command
 * did, or why it failed ({@link FailureReason}), into the printed JSON line and the exit code.
 *
 * <p>The last line of standard output is one JSON object: {@code {"status":"ok",...}} with the
 * command's results, or {@code {"status":"failed","exit_code":N,"error":"..."}}. Messages go to
 * standard error. Exit codes: {@link #EXIT_OK}, {@link #EXIT_FAILED} (an input is missing or
 * unusable, or the run failed), {@link #EXIT_USAGE} (an unknown option, a malformed value or an
 * unknown {@code spark.lethe.*} setting), {@link #EXIT_NOT_REACHED}, {@link #EXIT_LOCKED}.
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
   * @return {@link #EXIT_OK}, {@link #EXIT_FAILED}, {@link #EXIT_USAGE} or {@link
   *     #EXIT_NOT_REACHED}
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    String commandName = args.length > 0 ? args[0] : "";
    List<String> commands = LetheCommand.commandNames();
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
      JobCommand command = parse(args);
      command.validate();
      if (command instanceof ConfigCommand config) {
        return print(commandName, config.show(layers, out), out, err);
      }
      Outcome outcome;
      try (SparkSessions.Handle spark =
          SparkSessions.open("lethe " + commandName, layers.staticConf(command.sparkConf()))) {
        LetheConf conf = layers.letheConf(spark.session().sparkContext().getConf());
        outcome = command.run(spark.session(), conf);
      }
      return print(commandName, outcome, out, err);
    } catch (UsageException e) {
      err.println(e.getMessage());
      err.println(
          "Run 'lethe "
              + (commands.contains(commandName) ? commandName + " " : "")
              + "--help' for the options.");
      out.println(failure(EXIT_USAGE, e.getMessage()));
      return EXIT_USAGE;
    } catch (Exception | Error e) {
      // Exception, not RuntimeException: Spark throws its checked SparkException undeclared.
      String message = SettingFlags.flagged(commandName, e, FailureMessages.describe(e));
      err.println(message);
      if (message.startsWith("Unexpected")) {
        e.printStackTrace(err);
      }
      out.println(failure(ExitCodes.of(FailureReason.of(e)), message));
      return ExitCodes.of(FailureReason.of(e));
    }
  }

  /** The subcommand the arguments name, with its options filled in. */
  private static JobCommand parse(String[] args) {
    CommandLine cli = LetheCommand.commandLine();
    CommandLine.ParseResult parsed;
    try {
      parsed = cli.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      throw ParameterErrors.usage(e);
    }
    return (JobCommand) parsed.subcommand().commandSpec().userObject();
  }

  /** Prints the summary line of a command's outcome; returns the exit code. */
  private static int print(String command, Outcome outcome, PrintStream out, PrintStream err) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("status", outcome.failure() == null ? "ok" : "failed");
    line.put("command", command);
    line.putAll(outcome.fields());
    if (outcome.failure() == null) {
      out.println(JobJson.line(line));
      return EXIT_OK;
    }
    int code = ExitCodes.of(outcome.failure());
    err.println(outcome.message());
    line.put("status", "failed");
    line.put("exit_code", code);
    line.putIfAbsent("error", outcome.message());
    out.println(JobJson.line(line));
    return code;
  }

  private static boolean isHelp(String arg) {
    return arg.equals("--help") || arg.equals("-h");
  }

  private static String failure(int code, String message) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("status", "failed");
    line.put("exit_code", code);
    line.put("error", message);
    return JobJson.line(line);
  }
}
