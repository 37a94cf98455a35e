package dev.lethe.job.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lethe <command> [options]}: the top of the command line, whose subcommands are the job's
 * commands ({@link JobCommand}s). New commands (sweep, audit, config) are added to the list here.
 */
@Command(
    name = "lethe",
    subcommands = {
      EvaluateCommand.class,
      UnlearnCommand.class,
      SweepCommand.class,
      AuditCommand.class,
      ConfigCommand.class
    })
public final class LetheCommand {

  /** Width of the generated help: long enough that an option and its default share a line. */
  static final int HELP_WIDTH = 160;

  @Option(
      names = {"--help", "-h"},
      usageHelp = true,
      description = "this help")
  boolean help;

  @Option(
      names = "--verbose",
      order = 98,
      scope = CommandLine.ScopeType.INHERIT,
      description = "on a failure, also print its stack trace after the message (default: off)")
  boolean verbose;

  private LetheCommand() {}

  /**
   * A new command line for {@code lethe}: {@code --name value} and {@code --name=value} both parse,
   * an {@code @file} argument is replaced by the words in the file, an option given twice is an
   * error.
   */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new LetheCommand());
    cli.setExpandAtFiles(true);
    cli.setOverwrittenOptionsAllowed(false);
    cli.setUsageHelpWidth(HELP_WIDTH);
    cli.setUsageHelpLongOptionsMaxWidth(32);
    // Every command's help reads the same: "usage: lethe <name> [options]", its summary, then
    // "<name> options:" in declaration order.
    cli.getSubcommands()
        .forEach(
            (name, sub) ->
                sub.getCommandSpec()
                    .usageMessage()
                    .synopsisHeading("usage: ")
                    .customSynopsis("lethe " + name + " [options]")
                    .optionListHeading("%n" + name + " options:%n")
                    .sortOptions(false));
    return cli;
  }

  /** The names of the commands, in help order. */
  public static List<String> commandNames() {
    return List.copyOf(commandLine().getSubcommands().keySet());
  }
}
