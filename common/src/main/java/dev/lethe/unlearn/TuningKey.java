package dev.lethe.unlearn;

import dev.lethe.attack.PgdSettings;
import dev.lethe.data.ImageShape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One row of the {@link TuningTable}: a tuning key, with its kind, range, defaults per preset and
 * goal, one-line doc, and how it reads and sets {@link UnlearnSettings} or {@link PgdSettings}.
 *
 * @param <T> the Java type of its values (Float, Integer, Boolean, String or an enum)
 */
public final class TuningKey<T> {
  private final String name;
  private final String field;
  private final Kind kind;
  private final List<String> choices;
  private final Function<String, T> parser;
  private final Function<T, String> writer;
  private final String rule;
  private final BiFunction<T, UnlearnSettings, String> check;
  private final String doc;
  private final T lethe;
  private final T letheUnseen;
  private final T paper;
  private final Function<ImageShape, T> pgdDefault;
  private final String pgdDefaultText;
  private final Function<UnlearnSettings, T> fromSettings;
  private final BiConsumer<UnlearnSettings.Builder, T> toSettings;
  private final Function<PgdSettings, T> fromPgd;
  private final BiFunction<PgdSettings, T, PgdSettings> toPgd;

  private TuningKey(Row<T> r) {
    this.name = r.name;
    this.field = r.field;
    this.kind = r.kind;
    this.choices = r.choices;
    this.parser = r.parser;
    this.writer = r.writer;
    this.rule = r.rule;
    this.check = r.check;
    this.doc = r.doc;
    this.lethe = r.lethe;
    this.letheUnseen = r.letheUnseen != null ? r.letheUnseen : r.lethe;
    this.paper = r.paper;
    this.pgdDefault = r.pgdDefault;
    this.pgdDefaultText = r.pgdDefaultText;
    this.fromSettings = r.fromSettings;
    this.toSettings = r.toSettings;
    this.fromPgd = r.fromPgd;
    this.toPgd = r.toPgd;
  }

  /** The key as users write it, e.g. {@code learning-rate} or {@code pgd.steps}. */
  public String name() {
    return name;
  }

  /** One line saying what the key does. */
  public String doc() {
    return doc;
  }

  /** What its values are. */
  public Kind kind() {
    return kind;
  }

  /** For {@link Kind#CHOICE}: the values, as written; else empty. */
  public List<String> choices() {
    return choices;
  }

  /**
   * The range a value must lie in, as help text writes it (e.g. {@code > 0}, {@code in [0,1)}); the
   * choices for a choice key; empty when any value of the kind will do.
   */
  public String rule() {
    return kind == Kind.CHOICE ? "one of " + String.join(", ", choices) : rule;
  }

  /** Whether the key sets the PGD attack ({@link PgdSettings}) rather than the fine-tune. */
  public boolean pgd() {
    return fromPgd != null;
  }

  /**
   * The key's default in {@code preset} for {@code goal}; for PGD keys, for inputs of {@code
   * shape}.
   */
  public T defaultValue(TuningTable.Preset preset, Goal goal, ImageShape shape) {
    if (pgd()) {
      return pgdDefault.apply(Objects.requireNonNull(shape, "shape"));
    }
    if (preset == TuningTable.Preset.PAPER) {
      return paper;
    }
    return goal == Goal.UNSEEN ? letheUnseen : lethe;
  }

  /**
   * The default as help text writes it; for PGD keys it names its dependence on the input shape
   * where there is one.
   */
  public String defaultText(TuningTable.Preset preset, Goal goal) {
    if (pgd()) {
      return pgdDefaultText;
    }
    return text(defaultValue(preset, goal, null));
  }

  /** The value as {@code --set} takes it back: {@code parse(text(v))} equals {@code v}. */
  public String text(T value) {
    return writer.apply(value);
  }

  /**
   * Parses a value as written after {@code key=}.
   *
   * @throws IllegalArgumentException naming the key and the value when it is not of the key's kind
   */
  public T parse(String value) {
    String v = value.trim();
    try {
      return parser.apply(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "Cannot use tuning option " + name + "=" + v + ": not a number", e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Cannot use tuning option " + name + "=" + v + ": " + e.getMessage(), e);
    }
  }

  /** The key's value in these settings. */
  public T valueIn(UnlearnSettings settings, PgdSettings pgd) {
    return pgd() ? fromPgd.apply(pgd) : fromSettings.apply(settings);
  }

  /**
   * Why {@code value} is out of range for this key, given the other settings; null when it is not.
   */
  String problem(T value, UnlearnSettings all) {
    if (value == null) {
      return "must be set";
    }
    return check.apply(value, all);
  }

  /**
   * A line of help: the key, its kind and range, its default in {@code preset} for {@code goal}
   * (with the other preset's when it differs) and its doc.
   */
  public String describe(TuningTable.Preset preset, Goal goal) {
    StringBuilder b = new StringBuilder(name).append(" (").append(kind.spelling());
    if (!rule().isEmpty()) {
      b.append(", ").append(rule());
    }
    b.append("; default ").append(defaultText(preset, goal));
    TuningTable.Preset other =
        preset == TuningTable.Preset.LETHE ? TuningTable.Preset.PAPER : TuningTable.Preset.LETHE;
    String otherDefault = defaultText(other, goal);
    if (!otherDefault.equals(defaultText(preset, goal))) {
      b.append(", ").append(other.spelling()).append(' ').append(otherDefault);
    }
    return b.append("): ").append(doc).toString();
  }

  /** Sets a fine-tune key's value on a builder (a preset's default, through its named setter). */
  void setIn(UnlearnSettings.Builder builder, T value) {
    toSettings.accept(builder, value);
  }

  void set(TuningTable.Draft draft, T value) {
    if (pgd()) {
      String why = problem(value, null);
      if (why != null) {
        throw new IllegalArgumentException("Cannot use PGD setting " + field + ": " + why);
      }
      draft.pgd = toPgd.apply(draft.pgd, value);
    } else {
      toSettings.accept(draft.settings, value);
    }
  }

  void validate(UnlearnSettings settings) {
    String why = problem(fromSettings.apply(settings), settings);
    if (why != null) {
      throw new IllegalArgumentException("Cannot use unlearning setting " + field + ": " + why);
    }
  }

  @Override
  public String toString() {
    return name;
  }

  /** What a key's values are, as a user writes them. */
  public enum Kind {
    /** A decimal number, e.g. {@code 3e-3}. */
    DECIMAL("decimal"),
    /** A whole number. */
    INTEGER("integer"),
    /** {@code true} or {@code false}. */
    BOOLEAN("true or false"),
    /** One of a few names, lower case with dashes. */
    CHOICE("choice"),
    /** Free text. */
    TEXT("text");

    private final String spelling;

    Kind(String spelling) {
      this.spelling = spelling;
    }

    /** How help text names the kind. */
    public String spelling() {
      return spelling;
    }
  }

  /** How a choice is written: the enum constant in lower case with dashes. */
  public static String spelling(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  static Row<Float> decimal(String name, String field) {
    return new Row<>(name, field, Kind.DECIMAL, Float::parseFloat, String::valueOf);
  }

  static Row<Integer> integer(String name, String field) {
    return new Row<>(name, field, Kind.INTEGER, Integer::parseInt, String::valueOf);
  }

  static Row<Boolean> bool(String name, String field) {
    return new Row<>(name, field, Kind.BOOLEAN, TuningKey::parseBoolean, String::valueOf);
  }

  static <E extends Enum<E>> Row<E> choice(String name, String field, Class<E> type) {
    Row<E> r = new Row<>(name, field, Kind.CHOICE, v -> enumOf(type, v), TuningKey::spelling);
    r.choices = Arrays.stream(type.getEnumConstants()).map(TuningKey::spelling).toList();
    return r;
  }

  /** A row under construction, with named setters for each column. */
  static final class Row<T> {
    private final String name;
    private final String field;
    private final Kind kind;
    private final Function<String, T> parser;
    private final Function<T, String> writer;
    private List<String> choices = List.of();
    private String rule = "";
    private BiFunction<T, UnlearnSettings, String> check = (v, all) -> null;
    private String doc;
    private T lethe;
    private T letheUnseen;
    private T paper;
    private Function<ImageShape, T> pgdDefault;
    private String pgdDefaultText;
    private Function<UnlearnSettings, T> fromSettings;
    private BiConsumer<UnlearnSettings.Builder, T> toSettings;
    private Function<PgdSettings, T> fromPgd;
    private BiFunction<PgdSettings, T, PgdSettings> toPgd;

    Row(
        String name,
        String field,
        Kind kind,
        Function<String, T> parser,
        Function<T, String> writer) {
      this.name = name;
      this.field = field;
      this.kind = kind;
      this.parser = parser;
      this.writer = writer;
    }

    Row<T> doc(String value) {
      doc = value;
      return this;
    }

    /** A range: values for which {@code ok} fails are refused as "must be RULE, got VALUE". */
    Row<T> range(String text, Predicate<T> ok) {
      rule = text;
      check = (v, all) -> ok.test(v) ? null : "must be " + text + ", got " + v;
      return this;
    }

    /** A check that may read the other settings; returns why a value is refused, or null. */
    Row<T> check(String text, BiFunction<T, UnlearnSettings, String> why) {
      rule = text;
      check = why;
      return this;
    }

    Row<T> lethe(T value) {
      lethe = value;
      return this;
    }

    Row<T> letheUnseen(T value) {
      letheUnseen = value;
      return this;
    }

    Row<T> paper(T value) {
      paper = value;
      return this;
    }

    Row<T> settings(Function<UnlearnSettings, T> get, BiConsumer<UnlearnSettings.Builder, T> set) {
      fromSettings = get;
      toSettings = set;
      return this;
    }

    Row<T> pgd(
        Function<ImageShape, T> defaultFor,
        String defaultText,
        Function<PgdSettings, T> get,
        BiFunction<PgdSettings, T, PgdSettings> with) {
      pgdDefault = defaultFor;
      pgdDefaultText = defaultText;
      fromPgd = get;
      toPgd = with;
      return this;
    }

    TuningKey<T> key() {
      Objects.requireNonNull(doc, name + ": doc");
      if (fromPgd == null) {
        Objects.requireNonNull(lethe, name + ": lethe default");
        Objects.requireNonNull(paper, name + ": paper default");
        Objects.requireNonNull(toSettings, name + ": setter");
      }
      return new TuningKey<>(this);
    }
  }

  static boolean parseBoolean(String v) {
    if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(v);
    }
    throw new IllegalArgumentException("choose true or false");
  }

  private static <E extends Enum<E>> E enumOf(Class<E> type, String value) {
    String wanted = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (E e : type.getEnumConstants()) {
      if (e.name().equals(wanted)) {
        return e;
      }
    }
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      names.add(spelling(e));
    }
    throw new IllegalArgumentException("choose one of " + String.join(", ", names));
  }
}
