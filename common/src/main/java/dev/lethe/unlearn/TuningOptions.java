package dev.lethe.unlearn;

import dev.lethe.attack.PgdSettings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tuning keys of an unlearning run, as strings: what {@code --set key=value} on the CLI and
 * {@code spark.lethe.<key>} properties carry. Every key, its type, defaults, range and doc are a
 * row of the {@link TuningTable}; this class parses and applies assignments by that table. Unknown
 * keys are rejected with the list of known ones.
 */
public final class TuningOptions {

  /** Every key, in documentation order ({@link TuningTable#names()}). */
  public static final List<String> KEYS = TuningTable.names();

  private TuningOptions() {}

  /** Settings and PGD settings after applying options. */
  public record Applied(UnlearnSettings settings, PgdSettings pgd) {}

  /**
   * Applies {@code options} (key to value) on top of the given settings, in order.
   *
   * @throws IllegalArgumentException naming the key for an unknown key or a value that is not of
   *     the key's kind, and naming the setting and the options for a value out of range
   */
  public static Applied apply(
      UnlearnSettings settings, PgdSettings pgd, Map<String, String> options) {
    TuningTable.Draft draft = new TuningTable.Draft(settings.toBuilder(), pgd);
    for (Map.Entry<String, String> e : new LinkedHashMap<>(options).entrySet()) {
      String key = e.getKey();
      TuningKey<?> k =
          TuningTable.key(key)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "Cannot use tuning option '"
                              + key
                              + "': unknown key; known keys are "
                              + KEYS));
      try {
        set(k, draft, e.getValue());
      } catch (IllegalArgumentException ex) {
        if (ex.getMessage().startsWith("Cannot use tuning option ")) {
          throw ex;
        }
        throw new IllegalArgumentException(
            ex.getMessage() + " (from the tuning options " + options + ")", ex);
      }
    }
    try {
      return new Applied(draft.settings.build(), draft.pgd);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          e.getMessage() + " (from the tuning options " + options + ")", e);
    }
  }

  private static <T> void set(TuningKey<T> key, TuningTable.Draft draft, String value) {
    key.set(draft, key.parse(value));
  }

  /** Parses {@code key=value} strings (as given to --set). */
  public static Map<String, String> parse(List<String> assignments) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String a : assignments) {
      int eq = a.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "Cannot parse tuning option '"
                + a
                + "': write it as key=value, e.g. learning-rate=1e-3");
      }
      out.put(a.substring(0, eq).trim(), a.substring(eq + 1));
    }
    return out;
  }

  /** The option spelling of an enum constant: lower case with dashes ({@link TuningKey}). */
  public static String spelling(Enum<?> e) {
    return TuningKey.spelling(e);
  }
}
