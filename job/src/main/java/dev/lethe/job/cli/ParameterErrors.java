package dev.lethe.job.cli;

import dev.lethe.job.failure.UsageException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * Picocli's parse errors as Lethe's usage errors: "Cannot run &lt;command&gt;: what is wrong; give
 * what". The messages name the option and what to give, as they did before picocli.
 */
public final class ParameterErrors {

  private static final Pattern OPTION = Pattern.compile("--[a-z][a-z-]*");

  private ParameterErrors() {}

  /** The usage error for a parse error. */
  public static UsageException usage(ParameterException e) {
    CommandLine where = e.getCommandLine();
    String command = where.getCommandName();
    if (where.getParent() == null) {
      String first =
          e instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()
              ? u.getUnmatched().get(0)
              : "";
      return new UsageException(
          "Cannot run lethe: unknown command '"
              + first
              + "'; give one of "
              + String.join(", ", LetheCommand.commandNames()));
    }
    return new UsageException("Cannot run " + command + ": " + reason(e, where));
  }

  private static String reason(ParameterException e, CommandLine where) {
    if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
      String arg = u.getUnmatched().get(0);
      return (arg.startsWith("-") ? "unknown option " : "unexpected argument ")
          + arg
          + "; the options are "
          + String.join(", ", optionNames(where));
    }
    if (e instanceof CommandLine.MissingParameterException m
        && !m.getMissing().isEmpty()
        && m.getMissing().get(0) instanceof OptionSpec option) {
      if (e.getMessage().startsWith("Missing required option")) {
        return "option "
            + option.longestName()
            + " is missing; give "
            + option.longestName()
            + " "
            + option.paramLabel();
      }
      return "option "
          + option.longestName()
          + " has no value; give "
          + option.paramLabel()
          + " after it";
    }
    if (e instanceof CommandLine.OverwrittenOptionException o
        && o.getOverwritten() instanceof OptionSpec option) {
      return "option " + option.longestName() + " is given twice; give it once";
    }
    if (e instanceof CommandLine.MutuallyExclusiveArgsException) {
      Set<String> named = new LinkedHashSet<>();
      Matcher m = OPTION.matcher(e.getMessage());
      while (m.find()) {
        named.add(m.group());
      }
      List<String> ordered = new ArrayList<>(optionNames(where));
      ordered.retainAll(named);
      if (ordered.size() == 2) {
        return "options "
            + ordered.get(0)
            + " and "
            + ordered.get(1)
            + " exclude each other;"
            + " give one";
      }
      return "options " + String.join(", ", ordered) + " exclude each other; give one";
    }
    return e.getMessage();
  }

  /** The command's options in help order, help aside. */
  static List<String> optionNames(CommandLine command) {
    List<OptionSpec> options = new ArrayList<>(command.getCommandSpec().options());
    options.sort(Comparator.comparingInt(OptionSpec::order));
    List<String> names = new ArrayList<>();
    for (OptionSpec option : options) {
      if (!option.usageHelp()) {
        names.add(option.longestName());
      }
    }
    return names;
  }
}
