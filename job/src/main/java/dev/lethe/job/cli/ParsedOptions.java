package dev.lethe.job.cli;

import dev.lethe.data.ImageShape;
import dev.lethe.job.failure.UsageException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The options of one subcommand after parsing: {@code --name value} or {@code --name=value}, each
 * at most once, every required option present. Typed getters validate values and name the option in
 * their messages.
 */
public final class ParsedOptions {

  private final String command;
  private final Map<String, String> values;
  private final Map<String, List<String>> repeated;

  private ParsedOptions(
      String command, Map<String, String> values, Map<String, List<String>> repeated) {
    this.command = command;
    this.values = values;
    this.repeated = repeated;
  }

  /**
   * Parses {@code args} against the declared options of {@code command}.
   *
   * @throws UsageException naming the option when it is unknown, has no value, is given twice, or
   *     is required and missing
   */
  public static ParsedOptions parse(String command, List<OptionSpec> specs, List<String> args) {
    Map<String, OptionSpec> byName = new LinkedHashMap<>();
    for (OptionSpec spec : specs) {
      byName.put(spec.name(), spec);
    }
    Map<String, String> values = new LinkedHashMap<>();
    Map<String, List<String>> repeated = new LinkedHashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 2) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      if (!byName.containsKey(name)) {
        throw new UsageException(
            "Cannot run "
                + command
                + ": "
                + (name.startsWith("-") ? "unknown option " : "unexpected argument ")
                + name
                + "; the options are "
                + String.join(", ", byName.keySet()));
      }
      OptionSpec spec = byName.get(name);
      if (spec.flag()) {
        if (value != null) {
          throw new UsageException(
              "Cannot run " + command + ": option " + name + " takes no value; give it alone");
        }
        value = "true";
      }
      if (value == null) {
        if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
          throw new UsageException(
              "Cannot run "
                  + command
                  + ": option "
                  + name
                  + " has no value; give "
                  + byName.get(name).placeholder()
                  + " after it");
        }
        value = args.get(++i);
      }
      if (spec.repeatable()) {
        repeated.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
        values.put(name, value);
        continue;
      }
      if (values.put(name, value) != null) {
        throw new UsageException(
            "Cannot run " + command + ": option " + name + " is given twice; give it once");
      }
    }
    for (OptionSpec spec : specs) {
      if (spec.required() && !values.containsKey(spec.name())) {
        throw new UsageException(
            "Cannot run "
                + command
                + ": option "
                + spec.name()
                + " is missing; give "
                + spec.name()
                + " "
                + spec.placeholder());
      }
    }
    return new ParsedOptions(command, values, repeated);
  }

  /** Every value of a repeatable option, in order; empty when it was not given. */
  public List<String> all(String name) {
    return List.copyOf(repeated.getOrDefault(name, List.of()));
  }

  /** Whether a flag (an option without a value) was given. */
  public boolean flag(String name) {
    return values.containsKey(name);
  }

  /** The raw value of an option, if given. */
  public Optional<String> get(String name) {
    return Optional.ofNullable(values.get(name));
  }

  /** The value of a required option. */
  public String required(String name) {
    String value = values.get(name);
    if (value == null) {
      throw new UsageException(
          "Cannot run " + command + ": option " + name + " is missing; give it");
    }
    return value;
  }

  /**
   * A whole number of 1 or more, if given.
   *
   * @throws UsageException naming the option when the value is not such a number
   */
  public Optional<Integer> positiveInt(String name) {
    String value = values.get(name);
    if (value == null) {
      return Optional.empty();
    }
    try {
      int parsed = Integer.parseInt(value.trim());
      if (parsed > 0) {
        return Optional.of(parsed);
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw invalid(name, value, "give a whole number of 1 or more");
  }

  /**
   * An image shape written {@code C,H,W}, if given.
   *
   * @throws UsageException naming the option when the value is not three positive whole numbers
   */
  public Optional<ImageShape> imageShape(String name) {
    String value = values.get(name);
    if (value == null) {
      return Optional.empty();
    }
    String[] parts = value.split(",", -1);
    if (parts.length == 3) {
      try {
        int c = Integer.parseInt(parts[0].trim());
        int h = Integer.parseInt(parts[1].trim());
        int w = Integer.parseInt(parts[2].trim());
        if (c > 0 && h > 0 && w > 0) {
          return Optional.of(new ImageShape(c, h, w));
        }
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw invalid(
        name,
        value,
        "give channels,height,width as three whole numbers of 1 or more, e.g. 1,28,28");
  }

  private UsageException invalid(String name, String value, String expected) {
    return new UsageException(
        "Cannot run " + command + ": option " + name + " is '" + value + "'; " + expected);
  }
}
