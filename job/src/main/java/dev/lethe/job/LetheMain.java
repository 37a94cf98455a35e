package dev.lethe.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lethe.job.cli.Command;
import dev.lethe.job.cli.EvaluateCommand;
import dev.lethe.job.cli.ExitCodes;
import dev.lethe.job.cli.OptionSpec;
import dev.lethe.job.cli.ParsedOptions;
import dev.lethe.job.cli.RunFailedException;
import dev.lethe.job.cli.UnlearnCommand;
import dev.lethe.job.conf.LetheConf;
import dev.lethe.job.failure.FailureMessages;
import dev.lethe.job.failure.UsageException;
import dev.lethe.job.spark.SparkSessions;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;

/**
 * The job's entry point: {@code lethe <command> [options]}, run by spark-submit, by
 * deploy/bin/lethe (embedded local Spark) or by a test through {@link #run}.
 *
 * <p>The last line of standard output is one JSON object: {@code {"status":"ok",...}} with the
 * command's results, or {@code {"status":"failed","exit_code":N,"error":"..."}}. Messages go to
 * standard error. Exit codes: {@link #EXIT_OK}, {@link #EXIT_FAILED} (an input is missing or
 * unusable, or the run failed), {@link #EXIT_USAGE} (an unknown option, a malformed value or an
 * unknown {@code spark.lethe.*} setting).
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

  private static final List<Command> COMMANDS =
      List.of(new EvaluateCommand(), new UnlearnCommand());
  private static final ObjectMapper JSON = new ObjectMapper();

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
   * @return {@link #EXIT_OK}, {@link #EXIT_FAILED} or {@link #EXIT_USAGE}
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    String commandName = args.length > 0 ? args[0] : "";
    try {
      if (args.length == 0) {
        throw new UsageException(
            "Cannot run lethe: no command given; give one of " + commandNames());
      }
      if (isHelp(commandName) || commandName.equals("help")) {
        out.print(help());
        return EXIT_OK;
      }
      Command command = find(commandName);
      List<String> rest = Arrays.asList(args).subList(1, args.length);
      if (rest.stream().anyMatch(LetheMain::isHelp)) {
        out.print(help(command));
        return EXIT_OK;
      }
      LetheConf preliminary = LetheConf.from(new SparkConf());
      ParsedOptions options =
          ParsedOptions.parse(command.name(), command.options(preliminary), rest);
      command.validate(options);
      Map<String, Object> fields;
      try (SparkSessions.Handle spark = SparkSessions.open("lethe " + command.name())) {
        LetheConf conf = LetheConf.from(spark.session().sparkContext().getConf());
        fields = command.run(spark.session(), options, conf);
      }
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("status", "ok");
      line.put("command", command.name());
      line.putAll(fields);
      out.println(json(line));
      return EXIT_OK;
    } catch (RunFailedException e) {
      err.println(e.getMessage());
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("status", "failed");
      line.put("command", commandName);
      line.putAll(e.report());
      line.put("status", "failed");
      line.put("exit_code", e.exitCode());
      out.println(json(line));
      return e.exitCode();
    } catch (UsageException e) {
      err.println(e.getMessage());
      err.println(
          "Run 'lethe "
              + (find(commandName, null) == null ? "" : commandName + " ")
              + "--help' for the options.");
      out.println(failure(EXIT_USAGE, e.getMessage()));
      return EXIT_USAGE;
    } catch (Exception | Error e) {
      // Exception, not RuntimeException: Spark throws its checked SparkException undeclared.
      String message = FailureMessages.describe(e);
      err.println(message);
      if (message.startsWith("Unexpected")) {
        e.printStackTrace(err);
      }
      out.println(failure(EXIT_FAILED, message));
      return EXIT_FAILED;
    }
  }

  private static boolean isHelp(String arg) {
    return arg.equals("--help") || arg.equals("-h");
  }

  private static Command find(String name) {
    Command command = find(name, null);
    if (command == null) {
      throw new UsageException(
          "Cannot run lethe: unknown command '" + name + "'; give one of " + commandNames());
    }
    return command;
  }

  private static Command find(String name, Command absent) {
    for (Command command : COMMANDS) {
      if (command.name().equals(name)) {
        return command;
      }
    }
    return absent;
  }

  private static String commandNames() {
    return String.join(", ", COMMANDS.stream().map(Command::name).toList());
  }

  private static LetheConf helpDefaults() {
    try {
      return LetheConf.from(new SparkConf());
    } catch (UsageException e) {
      return LetheConf.defaults();
    }
  }

  /** Help for every command, with every option and its default. */
  static String help() {
    StringBuilder text = new StringBuilder();
    text.append("usage: lethe <command> [options]    (lethe <command> --help for one command)\n\n");
    text.append("Commands:\n");
    for (Command command : COMMANDS) {
      text.append(String.format("  %-12s%s%n", command.name(), command.summary()));
    }
    for (Command command : COMMANDS) {
      text.append('\n').append(options(command));
    }
    text.append('\n').append(footer());
    return text.toString();
  }

  /** Help for one command. */
  static String help(Command command) {
    return "usage: lethe "
        + command.name()
        + " [options]\n"
        + command.summary()
        + "\n\n"
        + options(command)
        + "\n"
        + footer();
  }

  private static String options(Command command) {
    StringBuilder text = new StringBuilder(command.name() + " options:\n");
    for (OptionSpec option : command.options(helpDefaults())) {
      text.append(option.helpLine()).append('\n');
    }
    text.append("  --help                      this help\n");
    return text.toString();
  }

  private static String footer() {
    StringBuilder text = new StringBuilder();
    text.append(
        "Settings (spark.lethe.* Spark properties: --conf, -D or conf/lethe-defaults.conf;"
            + " options win):\n");
    LetheConf.knownKeys()
        .forEach((key, value) -> text.append(String.format("  %-28s(default: %s)%n", key, value)));
    text.append(
        "Spark: the master comes from spark-submit or spark.master; without one, local[*].\n"
            + "Output: the last line of stdout is a JSON summary. Exit codes: 0 ok, 1 failed (an"
            + " input is missing or unusable), 2 bad options or settings, 3 unlearning did not reach its"
            + " goal (nothing published).\n");
    return text.toString();
  }

  private static String failure(int code, String message) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("status", "failed");
    line.put("exit_code", code);
    line.put("error", message);
    return json(line);
  }

  private static String json(Map<String, Object> fields) {
    try {
      return JSON.writeValueAsString(fields);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot write the JSON summary: " + e.getMessage(), e);
    }
  }
}
