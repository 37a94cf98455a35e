package dev.lethe.job.cli;

import dev.lethe.failure.SettingException;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Adds the command line's spelling to a refusal that names a library setting: lethe-common and the
 * action say "(setting: held-out)", the CLI says "(option --held-out)" when the command has that
 * option, so a user reads the flag to give. A setting the command has no option for is named as
 * such ("(setting: NAME, not an option of lethe unlearn)"), so the user gives it another way (e.g.
 * the model's sidecar).
 */
public final class SettingFlags {

  private SettingFlags() {}

  /**
   * {@code message} with the setting of the first {@link SettingException} in {@code failure}'s
   * cause chain named as {@code command}'s option, when {@code command} has one.
   */
  public static String flagged(String command, Throwable failure, String message) {
    return settingOf(failure)
        .map(
            setting ->
                option(command, setting)
                    .map(
                        option ->
                            message.replace(
                                SettingException.named(setting),
                                "(option " + option.longestName() + ")"))
                    .orElseGet(
                        () ->
                            LetheCommand.commandNames().contains(command)
                                ? message.replace(
                                    SettingException.named(setting),
                                    "(setting: "
                                        + setting
                                        + ", not an option of lethe "
                                        + command
                                        + ")")
                                : message))
        .orElse(message);
  }

  private static Optional<String> settingOf(Throwable failure) {
    for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
      if (t instanceof SettingException s) {
        return Optional.of(s.setting());
      }
    }
    return Optional.empty();
  }

  private static Optional<OptionSpec> option(String command, String setting) {
    CommandLine sub = LetheCommand.commandLine().getSubcommands().get(command);
    return sub == null
        ? Optional.empty()
        : Optional.ofNullable(sub.getCommandSpec().findOption("--" + setting));
  }
}
