package dev.lethe.failure;

import java.util.Objects;

/**
 * A refused input that one setting can mend: a missing sample, a shape or class names that cannot
 * be inferred, a conflicting choice. Its message keeps the "Cannot &lt;verb&gt;: &lt;reason&gt;;
 * give Y" shape and names the setting as {@code (setting: NAME)}; {@link #setting()} carries that
 * name so that a caller with its own spelling (a CLI flag, a configuration key) can add it when it
 * reports the failure. Setting names are the library's, lower case with dashes ({@code held-out},
 * {@code input-shape}), never a CLI's flags.
 */
public class SettingException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final String setting;

  /**
   * @param setting the name of the setting that mends the failure
   * @param message the whole message, "Cannot ...", naming the setting
   */
  public SettingException(String setting, String message) {
    super(message);
    this.setting = Objects.requireNonNull(setting, "setting");
  }

  /**
   * @param setting the name of the setting that mends the failure
   * @param message the whole message, "Cannot ...", naming the setting
   * @param cause what failed underneath
   */
  public SettingException(String setting, String message, Throwable cause) {
    super(message, cause);
    this.setting = Objects.requireNonNull(setting, "setting");
  }

  /** The name of the setting that mends the failure, e.g. {@code held-out}. */
  public String setting() {
    return setting;
  }

  /** How messages name a setting: {@code (setting: NAME)}. */
  public static String named(String setting) {
    return "(setting: " + setting + ")";
  }
}
