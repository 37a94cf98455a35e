package dev.lethe.job.cli;

/**
 * One option of a subcommand, as {@code --name VALUE}: what its value looks like, its default in
 * words (null when the option is required), and what it does. Help text is built from these.
 */
public record OptionSpec(String name, String placeholder, String defaultText, String description) {

  public OptionSpec {
    if (!name.startsWith("--")) {
      throw new IllegalArgumentException(
          "Cannot declare option " + name + ": it must start with --");
    }
  }

  /** Whether the option must be given. */
  public boolean required() {
    return defaultText == null;
  }

  /** Whether the option takes no value ({@code --name} alone): its placeholder is empty. */
  public boolean flag() {
    return placeholder.isEmpty();
  }

  /** Whether the option may be given more than once: its placeholder ends with "...". */
  public boolean repeatable() {
    return placeholder.endsWith("...");
  }

  /** The option's help line: name, value, description and default. */
  public String helpLine() {
    String head = "  " + name + (flag() ? "" : " " + placeholder);
    StringBuilder line = new StringBuilder(head);
    line.append(" ".repeat(Math.max(2, 30 - head.length())));
    line.append(description);
    line.append(required() ? " (required)" : " (default: " + defaultText + ")");
    return line.toString();
  }
}
