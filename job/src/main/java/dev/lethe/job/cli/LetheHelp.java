package dev.lethe.job.cli;

import dev.lethe.job.conf.LetheConf;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.TuningKey;
import dev.lethe.unlearn.TuningTable;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * The help of {@code lethe}: picocli's generated option lists (written {@code --name VALUE}), the
 * {@code spark.lethe.*} settings with their defaults, exit codes and output.
 */
public final class LetheHelp {

  /**
   * The batch size's default in option help: the {@code spark.lethe.batchSize} system property
   * ({@code -D}, {@code --conf}), else the built-in default.
   */
  static final String BATCH_SIZE_DEFAULT =
      "${sys:"
          + LetheConf.BATCH_SIZE
          + ":-"
          + LetheConf.BATCH_SIZE_DEFAULT
          + "} ("
          + LetheConf.BATCH_SIZE
          + ")";

  private LetheHelp() {}

  /** Help for every command, with every option and its default. */
  public static String all() {
    CommandLine top = forHelp();
    StringBuilder text = new StringBuilder();
    text.append("usage: lethe <command> [options]    (lethe <command> --help for one command)\n\n");
    text.append("Commands:\n");
    top.getSubcommands()
        .forEach(
            (name, sub) ->
                text.append(
                    String.format(
                        "  %-12s%s%n",
                        name,
                        String.join(" ", sub.getCommandSpec().usageMessage().description()))));
    top.getSubcommands().values().forEach(sub -> text.append(options(sub)));
    text.append('\n').append(footer());
    return text.toString();
  }

  /** Help for one command, or null when there is no such command. */
  public static String of(String command) {
    CommandLine sub = forHelp().getSubcommands().get(command);
    if (sub == null) {
      return null;
    }
    return sub.getUsageMessage() + "\n" + footer();
  }

  private static String options(CommandLine sub) {
    CommandLine.Help help = sub.getHelp();
    return help.optionListHeading() + help.optionList();
  }

  /** A command line whose help writes options as {@code --name VALUE}. */
  private static CommandLine forHelp() {
    CommandLine top = LetheCommand.commandLine();
    top.setSeparator(" ");
    return top;
  }

  /**
   * One line per tuning key, from lethe-common's table: kind, range, default (lethe, and paper's or
   * goal unseen's where they differ) and doc.
   */
  static List<String> tuningKeyLines() {
    List<String> lines = new ArrayList<>();
    for (TuningKey<?> key : TuningTable.keys()) {
      String line = key.describe(TuningTable.Preset.LETHE, Goal.MISCLASSIFY);
      String unseen = key.defaultText(TuningTable.Preset.LETHE, Goal.UNSEEN);
      if (!unseen.equals(key.defaultText(TuningTable.Preset.LETHE, Goal.MISCLASSIFY))) {
        line += " (goal unseen: " + unseen + ")";
      }
      lines.add(line);
    }
    return lines;
  }

  private static String footer() {
    StringBuilder text = new StringBuilder();
    text.append(
        "Settings (spark.lethe.* Spark properties: --conf, --properties-file, -D or"
            + " conf/lethe-defaults.conf; options win; `lethe config --explain` shows them):\n");
    text.append(
        String.format(
            "  %-28s(default: %s)%n", LetheConf.BATCH_SIZE, LetheConf.BATCH_SIZE_DEFAULT));
    text.append(
        "  "
            + LetheConf.PREFIX
            + "<KEY>          each tuning key below, under unlearn's and sweep's --set KEY=VALUE\n");
    text.append(
        "Tuning keys of unlearn's --set KEY=VALUE or spark.lethe.KEY (defaults of preset lethe,"
            + " goal misclassify; other presets and goals where they differ):\n");
    tuningKeyLines().forEach(line -> text.append("  ").append(line).append('\n'));
    text.append(
        "Spark: the master comes from spark-submit or spark.master; without one, local[*].\n"
            + "Output: the last line of stdout is a JSON summary (--report URI writes it there too)."
            + " Exit codes: 0 ok (published, nothing to do, or a valid dry run), 1 failed (an input"
            + " is missing or unusable, or --report could not be written; retrying may help), 2"
            + " bad options or settings (fix the command), 3 goal not reached or publish gate"
            + " broken (nothing published; retrying the same will not help), 4 another sweep"
            + " holds the ledger's lock (nothing done; retry later), 143 or 130 stopped by"
            + " SIGTERM or SIGINT (the last line says status interrupted; run it again).\n"
            + "Arguments: @FILE stands for the words in FILE; after --forget-ids, for its lines,"
            + " one id per line (spaces kept).\n");
    return text.toString();
  }
}
