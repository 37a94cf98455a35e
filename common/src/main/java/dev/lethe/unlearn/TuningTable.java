package dev.lethe.unlearn;

import dev.lethe.attack.PgdSettings;
import dev.lethe.data.ImageShape;
import dev.lethe.importance.MasMode;
import dev.lethe.unlearn.UnlearnSettings.AdversarialLoss;
import dev.lethe.unlearn.UnlearnSettings.BatchNormMode;
import dev.lethe.unlearn.UnlearnSettings.ForgetLoss;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The one table of tuning keys: for each key its name, type, default per preset and goal, range
 * check and a one-line doc. Everything else reads it: the presets ({@link UnlearnSettings#paper()},
 * {@link UnlearnSettings#defaults(Goal)}), the validation of {@link UnlearnSettings}, {@code --set
 * key=value} ({@link TuningOptions}), the settings the report and manifest record ({@link
 * #recorded}), and a CLI's help and the comments of conf/lethe-defaults.conf ({@link Key#describe},
 * {@link #confComments}). Adding a key means adding a row here, a field to {@link UnlearnSettings}
 * (or {@link PgdSettings}) and its builder setter.
 *
 * <p>The PGD keys (those starting with {@code pgd.}) are the same in every preset; their default
 * radius depends on the model's input shape ({@link PgdSettings#defaults(ImageShape)}).
 */
public final class TuningTable {

  /**
   * A named set of defaults. Preset {@code calibrate} tries candidates built from {@link #LETHE}.
   */
  public enum Preset {
    /** Lethe's defaults, measured in docs/DEFAULTS.md (also spelled {@code default}). */
    LETHE,
    /** The authors' code (ALGORITHM.md section 4), kept for comparison. */
    PAPER;

    /** The name a user gives: {@code lethe} or {@code paper}. */
    public String spelling() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The preset named {@code name} ({@code lethe}, {@code default} or {@code paper}, any case).
     *
     * @throws IllegalArgumentException naming the presets when the name is none of them
     */
    public static Preset parse(String name) {
      switch (name.toLowerCase(Locale.ROOT)) {
        case "lethe":
        case "default":
          return LETHE;
        case "paper":
          return PAPER;
        default:
          throw new IllegalArgumentException(
              "Cannot use preset '"
                  + name
                  + "': choose lethe (the default), paper or calibrate (lethe's candidates)");
      }
    }
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

  /**
   * One row of the table: a tuning key.
   *
   * @param <T> the Java type of its values (Float, Integer, Boolean, String or an enum)
   */
  public static final class Key<T> {
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

    private Key(Row<T> r) {
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
     * The range a value must lie in, as help text writes it (e.g. {@code > 0}, {@code in [0,1)});
     * the choices for a choice key; empty when any value of the kind will do.
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
    public T defaultValue(Preset preset, Goal goal, ImageShape shape) {
      if (pgd()) {
        return pgdDefault.apply(Objects.requireNonNull(shape, "shape"));
      }
      if (preset == Preset.PAPER) {
        return paper;
      }
      return goal == Goal.UNSEEN ? letheUnseen : lethe;
    }

    /**
     * The default as help text writes it; for PGD keys it names its dependence on the input shape
     * where there is one.
     */
    public String defaultText(Preset preset, Goal goal) {
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
     * @throws IllegalArgumentException naming the key and the value when it is not of the key's
     *     kind
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
     * Why {@code value} is out of range for this key, given the other settings; null when it is
     * not.
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
    public String describe(Preset preset, Goal goal) {
      StringBuilder b = new StringBuilder(name).append(" (").append(kind.spelling());
      if (!rule().isEmpty()) {
        b.append(", ").append(rule());
      }
      b.append("; default ").append(defaultText(preset, goal));
      Preset other = preset == Preset.LETHE ? Preset.PAPER : Preset.LETHE;
      String otherDefault = defaultText(other, goal);
      if (!otherDefault.equals(defaultText(preset, goal))) {
        b.append(", ").append(other.spelling()).append(' ').append(otherDefault);
      }
      return b.append("): ").append(doc).toString();
    }

    void set(Draft draft, T value) {
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
  }

  /** Settings being changed key by key; validated once, when built. */
  static final class Draft {
    final UnlearnSettings.Builder settings;
    PgdSettings pgd;

    Draft(UnlearnSettings.Builder settings, PgdSettings pgd) {
      this.settings = settings;
      this.pgd = pgd;
    }
  }

  // ---- The table. Order is documentation order. ----

  /** Unlearning loss on the forget set. */
  public static final Key<ForgetLoss> FORGET_LOSS =
      choice("forget-loss", "forgetLoss", ForgetLoss.class)
          .doc(
              "unlearning loss on the forget set: margin (bounded, stops pulling an instance once it"
                  + " is past the boundary) or cross-entropy (the paper's, unbounded)")
          .lethe(ForgetLoss.MARGIN)
          .paper(ForgetLoss.CROSS_ENTROPY)
          .settings(UnlearnSettings::forgetLoss, UnlearnSettings.Builder::forgetLoss)
          .key();

  /** Margin of the {@code margin} forget loss, in logits. */
  public static final Key<Float> MARGIN =
      decimal("margin", "margin")
          .doc("margin of the margin forget loss, in logits past the boundary")
          .range(">= 0", v -> v >= 0)
          .lethe(1.0f)
          .paper(0f)
          .settings(UnlearnSettings::margin, UnlearnSettings.Builder::margin)
          .key();

  /** Boundary term on the adversarial examples. */
  public static final Key<AdversarialLoss> ADVERSARIAL_LOSS =
      choice("adversarial-loss", "adversarialLoss", AdversarialLoss.class)
          .doc(
              "boundary term on the adversarial examples: distill (the original model's outputs)"
                  + " or hard-label (CE toward each example's adversarial class, the paper's)")
          .lethe(AdversarialLoss.DISTILL)
          .paper(AdversarialLoss.HARD_LABEL)
          .settings(UnlearnSettings::adversarialLoss, UnlearnSettings.Builder::adversarialLoss)
          .key();

  /** BatchNorm during the fine-tune. */
  public static final Key<BatchNormMode> BATCH_NORM =
      choice("batch-norm", "batchNorm", BatchNormMode.class)
          .doc(
              "BatchNorm during the fine-tune: frozen (eval mode, running statistics kept) or train"
                  + " (batch statistics, running statistics updated: the paper's)")
          .lethe(BatchNormMode.FROZEN)
          .paper(BatchNormMode.TRAIN)
          .settings(UnlearnSettings::batchNorm, UnlearnSettings.Builder::batchNorm)
          .key();

  /** SGD learning rate. */
  public static final Key<Float> LEARNING_RATE =
      decimal("learning-rate", "learningRate")
          .doc("SGD learning rate")
          .range("> 0", v -> v > 0)
          .lethe(3e-3f)
          .paper(1e-3f)
          .settings(UnlearnSettings::learningRate, UnlearnSettings.Builder::learningRate)
          .key();

  /** SGD momentum. */
  public static final Key<Float> MOMENTUM =
      decimal("momentum", "momentum")
          .doc(
              "SGD momentum (none for goal unseen, which stops after a few steps that momentum"
                  + " would overshoot)")
          .range("in [0,1)", v -> v >= 0 && v < 1)
          .lethe(0.9f)
          .letheUnseen(0f)
          .paper(0.9f)
          .settings(UnlearnSettings::momentum, UnlearnSettings.Builder::momentum)
          .key();

  /** SGD weight decay. */
  public static final Key<Float> WEIGHT_DECAY =
      decimal("weight-decay", "weightDecay")
          .doc("SGD weight decay (L2 on the weights, added to the gradient)")
          .range(">= 0", v -> v >= 0)
          .lethe(0f)
          .paper(1e-4f)
          .settings(UnlearnSettings::weightDecay, UnlearnSettings.Builder::weightDecay)
          .key();

  /** Forget instances per step. */
  public static final Key<Integer> FORGET_BATCH =
      integer("forget-batch", "forgetBatch")
          .doc("forget instances per step (the whole forget set when it is smaller; cycled)")
          .range("> 0", v -> v > 0)
          .lethe(32)
          .paper(32)
          .settings(UnlearnSettings::forgetBatch, UnlearnSettings.Builder::forgetBatch)
          .key();

  /** Adversarial examples (or retain samples) per step. */
  public static final Key<Integer> ADVERSARIAL_BATCH =
      integer("adversarial-batch", "adversarialBatch")
          .doc("adversarial examples (or retain samples) per step")
          .range("> 0", v -> v > 0)
          .lethe(256)
          .paper(256)
          .settings(UnlearnSettings::adversarialBatch, UnlearnSettings.Builder::adversarialBatch)
          .key();

  /** Weight of the MAS anchor penalty. */
  public static final Key<Float> LAMBDA =
      decimal("lambda", "lambda")
          .doc("weight of the MAS anchor penalty (method l2ul)")
          .range(">= 0", v -> v >= 0)
          .lethe(0.01f)
          .paper(1.0f)
          .settings(UnlearnSettings::lambda, UnlearnSettings.Builder::lambda)
          .key();

  /** Epoch cap; reaching it fails the run. */
  public static final Key<Integer> MAX_EPOCHS =
      integer("max-epochs", "maxEpochs")
          .doc("epoch cap; reaching it with the goal unmet fails the run")
          .range("> 0", v -> v > 0)
          .lethe(400)
          .paper(1000)
          .settings(UnlearnSettings::maxEpochs, UnlearnSettings.Builder::maxEpochs)
          .key();

  /** MAS importance. */
  public static final Key<MasMode> MAS_MODE =
      choice("mas-mode", "masMode", MasMode.class)
          .doc(
              "MAS importance: mean-gradient (the authors' code) or per-sample (MAS as"
                  + " published)")
          .lethe(MasMode.MEAN_GRADIENT)
          .paper(MasMode.MEAN_GRADIENT)
          .settings(UnlearnSettings::masMode, UnlearnSettings.Builder::masMode)
          .key();

  /** Which parameters the fine-tune changes. */
  public static final Key<String> UPDATE =
      new Row<String>("update", "update", Kind.TEXT, v -> v, v -> v)
          .doc(
              "which parameters the fine-tune changes: all, head (the classifier layer), weights"
                  + " (tensors of two or more dimensions) or a regular expression over parameter"
                  + " names")
          .check("all, head, weights or a regex", TuningTable::updateProblem)
          .lethe("all")
          .paper("all")
          .settings(UnlearnSettings::update, UnlearnSettings.Builder::update)
          .key();

  /** Shifted copies of each forget image kept at the original outputs. */
  public static final Key<Integer> ANCHORS =
      integer("anchors", "anchors")
          .doc("shifted copies of each forget image kept at the original outputs (at most 16)")
          .range(">= 0", v -> v >= 0)
          .lethe(8)
          .paper(0)
          .settings(UnlearnSettings::anchors, UnlearnSettings.Builder::anchors)
          .key();

  /** Weight of the forget term against the boundary term. */
  public static final Key<Float> FORGET_WEIGHT =
      decimal("forget-weight", "forgetWeight")
          .doc("weight of the forget term against the boundary term")
          .range("> 0", v -> v > 0)
          .lethe(1f)
          .paper(1f)
          .settings(UnlearnSettings::forgetWeight, UnlearnSettings.Builder::forgetWeight)
          .key();

  /** Forward forget and boundary batches separately. */
  public static final Key<Boolean> SEPARATE_BATCHES =
      new Row<Boolean>(
              "separate-batches",
              "separateBatches",
              Kind.BOOLEAN,
              TuningTable::parseBoolean,
              String::valueOf)
          .doc("forward the forget batch and the boundary batch separately instead of as one")
          .lethe(false)
          .paper(false)
          .settings(UnlearnSettings::separateBatches, UnlearnSettings.Builder::separateBatches)
          .key();

  /** Steps without progress before the forget term's weight doubles. */
  public static final Key<Integer> ESCALATE =
      integer("escalate", "escalate")
          .doc("steps without progress before the forget term's weight doubles (0: never)")
          .range(">= 0 steps (0: off)", v -> v >= 0)
          .lethe(20)
          .paper(0)
          .settings(UnlearnSettings::escalate, UnlearnSettings.Builder::escalate)
          .key();

  /** The forget weight at which escalation gives up and the fine-tune fails. */
  public static final Key<Float> ESCALATE_MAX =
      decimal("escalate-max", "escalateMax")
          .doc(
              "the forget weight at which escalation gives up and the fine-tune fails (0: no"
                  + " limit)")
          .check("0 or at least forget-weight", TuningTable::escalateMaxProblem)
          .lethe(8f)
          .paper(0f)
          .settings(UnlearnSettings::escalateMax, UnlearnSettings.Builder::escalateMax)
          .key();

  /** Held-out images per step kept at the original outputs. */
  public static final Key<Integer> HELD_OUT_BATCH =
      integer("held-out-batch", "heldOutBatch")
          .doc(
              "held-out images (or stand-ins) per step kept at the original model's outputs"
                  + " (0: none)")
          .range(">= 0 (0: none)", v -> v >= 0)
          .lethe(256)
          .letheUnseen(512)
          .paper(0)
          .settings(UnlearnSettings::heldOutBatch, UnlearnSettings.Builder::heldOutBatch)
          .key();

  /** Mixtures of two forget images that stand in for a held-out sample when there is none. */
  public static final Key<Integer> STAND_INS =
      integer("stand-ins", "standIns")
          .doc(
              "mixtures of two forget images that stand in for a held-out sample when the run has"
                  + " none (0: none)")
          .range(">= 0 (0: none)", v -> v >= 0)
          .lethe(1024)
          .paper(0)
          .settings(UnlearnSettings::standIns, UnlearnSettings.Builder::standIns)
          .key();

  /** PGD norm. */
  public static final Key<PgdSettings.Norm> PGD_NORM =
      choice("pgd.norm", "norm", PgdSettings.Norm.class)
          .doc("PGD threat model: l2 (the authors') or linf")
          .pgd(shape -> PgdSettings.Norm.L2, "l2", PgdSettings::norm, PgdSettings::withNorm)
          .key();

  /** PGD radius. */
  public static final Key<Float> PGD_EPSILON =
      decimal("pgd.epsilon", "epsilon")
          .doc("PGD radius, in [0,1] pixel units")
          .range("> 0, finite", v -> v > 0 && Float.isFinite(v))
          .pgd(
              shape -> PgdSettings.defaults(shape).epsilon(),
              PgdSettings.EPSILON_SMALL_DEFAULT
                  + " below 3x32x32 inputs, "
                  + PgdSettings.EPSILON_LARGE_DEFAULT
                  + " from there",
              PgdSettings::epsilon,
              PgdSettings::withEpsilon)
          .key();

  /** PGD step size. */
  public static final Key<Float> PGD_STEP_SIZE =
      decimal("pgd.step-size", "stepSize")
          .doc("PGD step size")
          .range("> 0, finite", v -> v > 0 && Float.isFinite(v))
          .pgd(
              shape -> PgdSettings.STEP_SIZE_DEFAULT,
              String.valueOf(PgdSettings.STEP_SIZE_DEFAULT),
              PgdSettings::stepSize,
              PgdSettings::withStepSize)
          .key();

  /** PGD steps. */
  public static final Key<Integer> PGD_STEPS =
      integer("pgd.steps", "steps")
          .doc("PGD steps per adversarial example")
          .range(">= 1", v -> v >= 1)
          .pgd(
              shape -> PgdSettings.STEPS_DEFAULT,
              String.valueOf(PgdSettings.STEPS_DEFAULT),
              PgdSettings::steps,
              PgdSettings::withSteps)
          .key();

  /** Adversarial examples per forget instance. */
  public static final Key<Integer> PGD_PER_INSTANCE =
      integer("pgd.per-instance", "perInstance")
          .doc("adversarial examples per forget instance")
          .range(">= 1", v -> v >= 1)
          .pgd(
              shape -> PgdSettings.PER_INSTANCE_DEFAULT,
              String.valueOf(PgdSettings.PER_INSTANCE_DEFAULT),
              PgdSettings::perInstance,
              PgdSettings::withPerInstance)
          .key();

  private static final List<Key<?>> KEYS =
      List.of(
          FORGET_LOSS,
          MARGIN,
          ADVERSARIAL_LOSS,
          BATCH_NORM,
          LEARNING_RATE,
          MOMENTUM,
          WEIGHT_DECAY,
          FORGET_BATCH,
          ADVERSARIAL_BATCH,
          LAMBDA,
          MAX_EPOCHS,
          MAS_MODE,
          UPDATE,
          ANCHORS,
          FORGET_WEIGHT,
          SEPARATE_BATCHES,
          ESCALATE,
          ESCALATE_MAX,
          HELD_OUT_BATCH,
          STAND_INS,
          PGD_NORM,
          PGD_EPSILON,
          PGD_STEP_SIZE,
          PGD_STEPS,
          PGD_PER_INSTANCE);

  private TuningTable() {}

  /** Every key, in documentation order: the fine-tune's, then the PGD attack's. */
  public static List<Key<?>> keys() {
    return KEYS;
  }

  /** Every key's name, in documentation order. */
  public static List<String> names() {
    List<String> out = new ArrayList<>(KEYS.size());
    for (Key<?> k : KEYS) {
      out.add(k.name());
    }
    return List.copyOf(out);
  }

  /** The key named {@code name}, if there is one. */
  public static Optional<Key<?>> key(String name) {
    for (Key<?> k : KEYS) {
      if (k.name().equals(name)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }

  /** The settings of {@code preset} for {@code goal}, every key at its default. */
  public static UnlearnSettings preset(Preset preset, Goal goal) {
    UnlearnSettings.Builder b = UnlearnSettings.builder();
    for (Key<?> k : KEYS) {
      if (!k.pgd()) {
        setDefault(k, b, preset, goal);
      }
    }
    return b.build();
  }

  private static <T> void setDefault(
      Key<T> k, UnlearnSettings.Builder b, Preset preset, Goal goal) {
    k.toSettings.accept(b, k.defaultValue(preset, goal, null));
  }

  /**
   * Checks every fine-tune key of {@code settings} against its range.
   *
   * @throws IllegalArgumentException "Cannot use unlearning setting NAME: why" for the first value
   *     out of range
   */
  static void validate(UnlearnSettings settings) {
    for (Key<?> k : KEYS) {
      if (!k.pgd()) {
        k.validate(settings);
      }
    }
  }

  /**
   * The fine-tune's settings as the report and the manifest record them: key to value, in table
   * order, as Float, Integer, Boolean or String (choices as written).
   */
  public static LinkedHashMap<String, Object> recorded(UnlearnSettings settings) {
    LinkedHashMap<String, Object> out = new LinkedHashMap<>();
    for (Key<?> k : KEYS) {
      if (!k.pgd()) {
        out.put(k.name(), recordedValue(k, settings));
      }
    }
    return out;
  }

  private static <T> Object recordedValue(Key<T> k, UnlearnSettings settings) {
    T v = k.fromSettings.apply(settings);
    return v instanceof Enum<?> e ? spelling(e) : v;
  }

  /**
   * The comment lines that document every key in a configuration file such as
   * conf/lethe-defaults.conf: one {@code # } line per key, {@link Key#describe} for the {@code
   * lethe} preset and {@code goal}.
   */
  public static List<String> confComments(Goal goal) {
    List<String> out = new ArrayList<>(KEYS.size());
    for (Key<?> k : KEYS) {
      out.add("# " + k.describe(Preset.LETHE, goal));
    }
    return out;
  }

  // ---- Building rows ----

  private static Row<Float> decimal(String name, String field) {
    return new Row<>(name, field, Kind.DECIMAL, Float::parseFloat, String::valueOf);
  }

  private static Row<Integer> integer(String name, String field) {
    return new Row<>(name, field, Kind.INTEGER, Integer::parseInt, String::valueOf);
  }

  private static <E extends Enum<E>> Row<E> choice(String name, String field, Class<E> type) {
    Row<E> r = new Row<>(name, field, Kind.CHOICE, v -> enumOf(type, v), TuningTable::spelling);
    r.choices = Arrays.stream(type.getEnumConstants()).map(TuningTable::spelling).toList();
    return r;
  }

  /** A row under construction, with named setters for each column. */
  private static final class Row<T> {
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

    Key<T> key() {
      Objects.requireNonNull(doc, name + ": doc");
      if (fromPgd == null) {
        Objects.requireNonNull(lethe, name + ": lethe default");
        Objects.requireNonNull(paper, name + ": paper default");
        Objects.requireNonNull(toSettings, name + ": setter");
      }
      return new Key<>(this);
    }
  }

  /** How a choice is written: the enum constant in lower case with dashes. */
  public static String spelling(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static String updateProblem(String update, UnlearnSettings all) {
    if (update.isBlank()) {
      return "must be all, head or a regex";
    }
    if (!update.equals("all") && !update.equals("head") && !update.equals("weights")) {
      try {
        Pattern.compile(update);
      } catch (PatternSyntaxException e) {
        return "'" + update + "' is neither all, head nor a valid regex";
      }
    }
    return null;
  }

  private static String escalateMaxProblem(Float escalateMax, UnlearnSettings all) {
    float forgetWeight = all.forgetWeight();
    if (escalateMax == 0 || escalateMax >= forgetWeight) {
      return null;
    }
    return "must be 0 (no limit) or at least forgetWeight ("
        + forgetWeight
        + "), got "
        + escalateMax
        + ": raise escalate-max with forget-weight";
  }

  private static boolean parseBoolean(String v) {
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
