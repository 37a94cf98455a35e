package dev.lethe.unlearn;

import dev.lethe.attack.PgdSettings;
import dev.lethe.data.ImageShape;
import dev.lethe.importance.MasMode;
import dev.lethe.unlearn.UnlearnSettings.AdversarialLoss;
import dev.lethe.unlearn.UnlearnSettings.BatchNormMode;
import dev.lethe.unlearn.UnlearnSettings.ForgetLoss;
import dev.lethe.unlearn.UnlearnSettings.StandInPairs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The one table of tuning keys: for each key its name, type, default per preset and goal, range
 * check and a one-line doc. Everything else reads it: the presets ({@link UnlearnSettings#paper()},
 * {@link UnlearnSettings#defaults(Goal)}), the validation of {@link UnlearnSettings}, {@code --set
 * key=value} ({@link TuningOptions}), the settings the report and manifest record ({@link
 * #recorded}), and a CLI's help and the comments of conf/lethe-defaults.conf ({@link
 * TuningKey#describe}, {@link #confComments}). Adding a key means adding a row here, a field to
 * {@link UnlearnSettings} (or {@link PgdSettings}) and its builder setter.
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
  public static final TuningKey<ForgetLoss> FORGET_LOSS =
      TuningKey.choice("forget-loss", "forgetLoss", ForgetLoss.class)
          .doc(
              "unlearning loss on the forget set: margin (bounded, stops pulling an instance once it"
                  + " is past the boundary) or cross-entropy (the paper's, unbounded)")
          .lethe(ForgetLoss.MARGIN)
          .paper(ForgetLoss.CROSS_ENTROPY)
          .settings(UnlearnSettings::forgetLoss, UnlearnSettings.Builder::forgetLoss)
          .key();

  /** Margin of the {@code margin} forget loss, in logits. */
  public static final TuningKey<Float> MARGIN =
      TuningKey.decimal("margin", "margin")
          .doc("margin of the margin forget loss, in logits past the boundary")
          .range(">= 0", v -> v >= 0)
          .lethe(1.0f)
          .paper(0f)
          .settings(UnlearnSettings::margin, UnlearnSettings.Builder::margin)
          .key();

  /** Boundary term on the adversarial examples. */
  public static final TuningKey<AdversarialLoss> ADVERSARIAL_LOSS =
      TuningKey.choice("adversarial-loss", "adversarialLoss", AdversarialLoss.class)
          .doc(
              "boundary term on the adversarial examples: distill (the original model's outputs)"
                  + " or hard-label (CE toward each example's adversarial class, the paper's)")
          .lethe(AdversarialLoss.DISTILL)
          .paper(AdversarialLoss.HARD_LABEL)
          .settings(UnlearnSettings::adversarialLoss, UnlearnSettings.Builder::adversarialLoss)
          .key();

  /** BatchNorm during the fine-tune. */
  public static final TuningKey<BatchNormMode> BATCH_NORM =
      TuningKey.choice("batch-norm", "batchNorm", BatchNormMode.class)
          .doc(
              "BatchNorm during the fine-tune: frozen (eval mode, running statistics kept) or train"
                  + " (batch statistics, running statistics updated: the paper's)")
          .lethe(BatchNormMode.FROZEN)
          .paper(BatchNormMode.TRAIN)
          .settings(UnlearnSettings::batchNorm, UnlearnSettings.Builder::batchNorm)
          .key();

  /** SGD learning rate. */
  public static final TuningKey<Float> LEARNING_RATE =
      TuningKey.decimal("learning-rate", "learningRate")
          .doc("SGD learning rate")
          .range("> 0", v -> v > 0)
          .lethe(3e-3f)
          .paper(1e-3f)
          .settings(UnlearnSettings::learningRate, UnlearnSettings.Builder::learningRate)
          .key();

  /** SGD momentum. */
  public static final TuningKey<Float> MOMENTUM =
      TuningKey.decimal("momentum", "momentum")
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
  public static final TuningKey<Float> WEIGHT_DECAY =
      TuningKey.decimal("weight-decay", "weightDecay")
          .doc("SGD weight decay (L2 on the weights, added to the gradient)")
          .range(">= 0", v -> v >= 0)
          .lethe(0f)
          .paper(1e-4f)
          .settings(UnlearnSettings::weightDecay, UnlearnSettings.Builder::weightDecay)
          .key();

  /** Forget instances per step. */
  public static final TuningKey<Integer> FORGET_BATCH =
      TuningKey.integer("forget-batch", "forgetBatch")
          .doc("forget instances per step (the whole forget set when it is smaller; cycled)")
          .range("> 0", v -> v > 0)
          .lethe(32)
          .paper(32)
          .settings(UnlearnSettings::forgetBatch, UnlearnSettings.Builder::forgetBatch)
          .key();

  /** Forget batches start with the instances not yet forgotten. */
  public static final TuningKey<Boolean> UNFORGOTTEN_FIRST =
      TuningKey.bool("unforgotten-first", "unforgottenFirst")
          .doc(
              "when the forget set (or a stage's prefix) is larger than forget-batch, each forget"
                  + " batch starts with the instances not yet forgotten at the last evaluation and"
                  + " the cycle fills the rest (false: the cycle alone)")
          .lethe(true)
          .paper(false)
          .settings(UnlearnSettings::unforgottenFirst, UnlearnSettings.Builder::unforgottenFirst)
          .key();

  /** Adversarial examples (or retain samples) per step. */
  public static final TuningKey<Integer> ADVERSARIAL_BATCH =
      TuningKey.integer("adversarial-batch", "adversarialBatch")
          .doc("adversarial examples (or retain samples) per step")
          .range("> 0", v -> v > 0)
          .lethe(256)
          .paper(256)
          .settings(UnlearnSettings::adversarialBatch, UnlearnSettings.Builder::adversarialBatch)
          .key();

  /** Weight of the MAS anchor penalty. */
  public static final TuningKey<Float> LAMBDA =
      TuningKey.decimal("lambda", "lambda")
          .doc("weight of the MAS anchor penalty (method l2ul)")
          .range(">= 0", v -> v >= 0)
          .lethe(0.01f)
          .paper(1.0f)
          .settings(UnlearnSettings::lambda, UnlearnSettings.Builder::lambda)
          .key();

  /** Epoch cap; reaching it fails the run. */
  public static final TuningKey<Integer> MAX_EPOCHS =
      TuningKey.integer("max-epochs", "maxEpochs")
          .doc("epoch cap; reaching it with the goal unmet fails the run")
          .range("> 0", v -> v > 0)
          .lethe(400)
          .paper(1000)
          .settings(UnlearnSettings::maxEpochs, UnlearnSettings.Builder::maxEpochs)
          .key();

  /** MAS importance. */
  public static final TuningKey<MasMode> MAS_MODE =
      TuningKey.choice("mas-mode", "masMode", MasMode.class)
          .doc(
              "MAS importance: mean-gradient (the authors' code) or per-sample (MAS as"
                  + " published)")
          .lethe(MasMode.MEAN_GRADIENT)
          .paper(MasMode.MEAN_GRADIENT)
          .settings(UnlearnSettings::masMode, UnlearnSettings.Builder::masMode)
          .key();

  /** Which parameters the fine-tune changes. */
  public static final TuningKey<String> UPDATE =
      new TuningKey.Row<String>("update", "update", TuningKey.Kind.TEXT, v -> v, v -> v)
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
  public static final TuningKey<Integer> ANCHORS =
      TuningKey.integer("anchors", "anchors")
          .doc("shifted copies of each forget image kept at the original outputs (at most 16)")
          .range(">= 0", v -> v >= 0)
          .lethe(8)
          .paper(0)
          .settings(UnlearnSettings::anchors, UnlearnSettings.Builder::anchors)
          .key();

  /** Weight of the forget term against the boundary term. */
  public static final TuningKey<Float> FORGET_WEIGHT =
      TuningKey.decimal("forget-weight", "forgetWeight")
          .doc("weight of the forget term against the boundary term")
          .range("> 0", v -> v > 0)
          .lethe(1f)
          .paper(1f)
          .settings(UnlearnSettings::forgetWeight, UnlearnSettings.Builder::forgetWeight)
          .key();

  /** Forward forget and boundary batches separately. */
  public static final TuningKey<Boolean> SEPARATE_BATCHES =
      TuningKey.bool("separate-batches", "separateBatches")
          .doc(
              "forward the boundary (adversarial) batch and then the forget batch, each on its own,"
                  + " instead of as one batch (the authors' order; it decides BatchNorm's running"
                  + " statistics in train mode)")
          .lethe(false)
          .paper(true)
          .settings(UnlearnSettings::separateBatches, UnlearnSettings.Builder::separateBatches)
          .key();

  /** Steps without progress before the forget term's weight doubles. */
  public static final TuningKey<Integer> ESCALATE =
      TuningKey.integer("escalate", "escalate")
          .doc("steps without progress before the forget term's weight doubles (0: never)")
          .range(">= 0 steps (0: off)", v -> v >= 0)
          .lethe(20)
          .paper(0)
          .settings(UnlearnSettings::escalate, UnlearnSettings.Builder::escalate)
          .key();

  /** The forget weight at which escalation gives up and the fine-tune fails. */
  public static final TuningKey<Float> ESCALATE_MAX =
      TuningKey.decimal("escalate-max", "escalateMax")
          .doc(
              "the forget weight at which escalation gives up and the fine-tune fails (0: no"
                  + " limit)")
          .check("0 or at least forget-weight", TuningTable::escalateMaxProblem)
          .lethe(8f)
          .paper(0f)
          .settings(UnlearnSettings::escalateMax, UnlearnSettings.Builder::escalateMax)
          .key();

  /** Held-out images per step kept at the original outputs. */
  public static final TuningKey<Integer> HELD_OUT_BATCH =
      TuningKey.integer("held-out-batch", "heldOutBatch")
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
  public static final TuningKey<Integer> STAND_INS =
      TuningKey.integer("stand-ins", "standIns")
          .doc(
              "mixtures of two forget images that stand in for a held-out sample when the run has"
                  + " none (0: none)")
          .range(">= 0 (0: none)", v -> v >= 0)
          .lethe(1024)
          .paper(0)
          .settings(UnlearnSettings::standIns, UnlearnSettings.Builder::standIns)
          .key();

  /** Which two forget images a stand-in mixes. */
  public static final TuningKey<StandInPairs> STAND_IN_PAIRS =
      TuningKey.choice("stand-in-pairs", "standInPairs", StandInPairs.class)
          .doc(
              "which two forget images each stand-in mixes: any two, or two of the same class (an"
                  + " image whose class has no other forget instance is mixed with any other)")
          .lethe(StandInPairs.ANY)
          .paper(StandInPairs.ANY)
          .settings(UnlearnSettings::standInPairs, UnlearnSettings.Builder::standInPairs)
          .key();

  /** Requests larger than this are forgotten in chained stages of this many more instances. */
  public static final TuningKey<Integer> SPLIT =
      TuningKey.integer("split", "split")
          .doc(
              "a request of more instances than this is forgotten in chained stages, each this"
                  + " many instances more than the last, the forget weight reset at each (goal"
                  + " misclassify or a target; 0: one fine-tune)")
          .range(">= 0 (0: never)", v -> v >= 0)
          .lethe(32)
          .letheUnseen(0)
          .paper(0)
          .settings(UnlearnSettings::split, UnlearnSettings.Builder::split)
          .key();

  /** Method salun: the fraction of weights its saliency mask lets move. */
  public static final TuningKey<Float> SALUN_FRACTION =
      TuningKey.decimal("salun.fraction", "salunFraction")
          .doc(
              "method salun: fraction of the updated weights that may move, those with the largest"
                  + " |gradient| of the forget loss on the original model (one threshold over all);"
                  + " the rest stay at their original values")
          .range("in (0,1]", v -> v > 0 && v <= 1)
          .lethe(SalUn.FRACTION)
          .paper(SalUn.FRACTION)
          .settings(UnlearnSettings::salunFraction, UnlearnSettings.Builder::salunFraction)
          .key();

  /** Method scrub: temperature of its KL divergence. */
  public static final TuningKey<Float> SCRUB_TEMPERATURE =
      TuningKey.decimal("scrub.temperature", "scrubTemperature")
          .doc("method scrub: temperature T of the teacher-student KL divergence (the authors' 4)")
          .range("> 0, finite", v -> v > 0 && Float.isFinite(v))
          .lethe(Scrub.Settings.AUTHORS.temperature())
          .paper(Scrub.Settings.AUTHORS.temperature())
          .settings(s -> s.scrub().temperature(), (b, v) -> b.scrub(b.scrub().withTemperature(v)))
          .key();

  /** Method scrub: weight of the min-step's KL term. */
  public static final TuningKey<Float> SCRUB_ALPHA =
      TuningKey.decimal("scrub.alpha", "scrubAlpha")
          .doc("method scrub: weight of the KL term on the data kept (the authors' 0.001)")
          .range(">= 0", v -> v >= 0)
          .lethe(Scrub.Settings.AUTHORS.alpha())
          .paper(Scrub.Settings.AUTHORS.alpha())
          .settings(s -> s.scrub().alpha(), (b, v) -> b.scrub(b.scrub().withAlpha(v)))
          .key();

  /** Method scrub: weight of the min-step's cross-entropy term. */
  public static final TuningKey<Float> SCRUB_GAMMA =
      TuningKey.decimal("scrub.gamma", "scrubGamma")
          .doc(
              "method scrub: weight of the cross-entropy term on the data kept (the authors' 0.99)")
          .range(">= 0", v -> v >= 0)
          .lethe(Scrub.Settings.AUTHORS.gamma())
          .paper(Scrub.Settings.AUTHORS.gamma())
          .settings(s -> s.scrub().gamma(), (b, v) -> b.scrub(b.scrub().withGamma(v)))
          .key();

  /** Method scrub: the epochs that run max-steps on the forget set. */
  public static final TuningKey<Integer> SCRUB_MAX_EPOCHS =
      TuningKey.integer("scrub.max-epochs", "scrubMaxEpochs")
          .doc(
              "method scrub: epochs, from the first, that run max-steps on the forget set before"
                  + " the min-steps (0: every epoch; the authors' 2)")
          .range(">= 0 (0: every epoch)", v -> v >= 0)
          .lethe(0)
          .paper(Scrub.Settings.AUTHORS.maxEpochs())
          .settings(s -> s.scrub().maxEpochs(), (b, v) -> b.scrub(b.scrub().withMaxEpochs(v)))
          .key();

  /** PGD norm. */
  public static final TuningKey<PgdSettings.Norm> PGD_NORM =
      TuningKey.choice("pgd.norm", "norm", PgdSettings.Norm.class)
          .doc("PGD threat model: l2 (the authors') or linf")
          .pgd(shape -> PgdSettings.Norm.L2, "l2", PgdSettings::norm, PgdSettings::withNorm)
          .key();

  /** PGD radius. */
  public static final TuningKey<Float> PGD_EPSILON =
      TuningKey.decimal("pgd.epsilon", "epsilon")
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
  public static final TuningKey<Float> PGD_STEP_SIZE =
      TuningKey.decimal("pgd.step-size", "stepSize")
          .doc("PGD step size")
          .range("> 0, finite", v -> v > 0 && Float.isFinite(v))
          .pgd(
              shape -> PgdSettings.STEP_SIZE_DEFAULT,
              String.valueOf(PgdSettings.STEP_SIZE_DEFAULT),
              PgdSettings::stepSize,
              PgdSettings::withStepSize)
          .key();

  /** PGD steps. */
  public static final TuningKey<Integer> PGD_STEPS =
      TuningKey.integer("pgd.steps", "steps")
          .doc("PGD steps per adversarial example")
          .range(">= 1", v -> v >= 1)
          .pgd(
              shape -> PgdSettings.STEPS_DEFAULT,
              String.valueOf(PgdSettings.STEPS_DEFAULT),
              PgdSettings::steps,
              PgdSettings::withSteps)
          .key();

  /** Adversarial examples per forget instance. */
  public static final TuningKey<Integer> PGD_PER_INSTANCE =
      TuningKey.integer("pgd.per-instance", "perInstance")
          .doc("adversarial examples per forget instance")
          .range(">= 1", v -> v >= 1)
          .pgd(
              shape -> PgdSettings.PER_INSTANCE_DEFAULT,
              String.valueOf(PgdSettings.PER_INSTANCE_DEFAULT),
              PgdSettings::perInstance,
              PgdSettings::withPerInstance)
          .key();

  private static final List<TuningKey<?>> KEYS =
      List.of(
          FORGET_LOSS,
          MARGIN,
          ADVERSARIAL_LOSS,
          BATCH_NORM,
          LEARNING_RATE,
          MOMENTUM,
          WEIGHT_DECAY,
          FORGET_BATCH,
          UNFORGOTTEN_FIRST,
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
          STAND_IN_PAIRS,
          SPLIT,
          SALUN_FRACTION,
          SCRUB_TEMPERATURE,
          SCRUB_ALPHA,
          SCRUB_GAMMA,
          SCRUB_MAX_EPOCHS,
          PGD_NORM,
          PGD_EPSILON,
          PGD_STEP_SIZE,
          PGD_STEPS,
          PGD_PER_INSTANCE);

  private TuningTable() {}

  /** Every key, in documentation order: the fine-tune's, then the PGD attack's. */
  public static List<TuningKey<?>> keys() {
    return KEYS;
  }

  /** Every key's name, in documentation order. */
  public static List<String> names() {
    List<String> out = new ArrayList<>(KEYS.size());
    for (TuningKey<?> k : KEYS) {
      out.add(k.name());
    }
    return List.copyOf(out);
  }

  /** The key named {@code name}, if there is one. */
  public static Optional<TuningKey<?>> key(String name) {
    for (TuningKey<?> k : KEYS) {
      if (k.name().equals(name)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }

  /** The settings of {@code preset} for {@code goal}, every key at its default. */
  public static UnlearnSettings preset(Preset preset, Goal goal) {
    return preset(preset, goal, Method.L2UL);
  }

  /**
   * The settings of {@code preset} for {@code goal} and {@code method}: the preset's defaults, then
   * for preset paper the method's authors' values where they differ from L2UL's ({@link
   * #SCRUB_PAPER}, {@link #SALUN_PAPER}); ALGORITHM.md section 5 cites them.
   */
  public static UnlearnSettings preset(Preset preset, Goal goal, Method method) {
    UnlearnSettings.Builder b = UnlearnSettings.builder();
    for (TuningKey<?> k : KEYS) {
      if (!k.pgd()) {
        setDefault(k, b, preset, goal);
      }
    }
    if (preset == Preset.PAPER) {
      paperOf(method).forEach(d -> d.setIn(b));
    }
    return b.build();
  }

  /** The keys where {@code method}'s authors' values differ from preset paper's column. */
  private static List<MethodDefault<?>> paperOf(Method method) {
    return switch (method) {
      case SCRUB -> SCRUB_PAPER;
      case SALUN -> SALUN_PAPER;
      default -> List.of();
    };
  }

  /** A key's value in a method's preset, where it differs from the table's column. */
  private record MethodDefault<T>(TuningKey<T> key, T value) {
    void setIn(UnlearnSettings.Builder b) {
      key.setIn(b, value);
    }
  }

  /**
   * Preset paper for method scrub: the SCRUB authors' large-scale (CIFAR-10, SGD) values, from
   * github.com/meghdadk/SCRUB large_scale_unlearning.ipynb at 98ffb11 (ALGORITHM.md section 5); the
   * scrub.* keys are in their rows. BatchNorm in train mode is the paper column's already. The
   * stand-ins are Lethe's substitute for the retained data the authors always have.
   */
  private static final List<MethodDefault<?>> SCRUB_PAPER =
      List.of(
          new MethodDefault<>(LEARNING_RATE, 5e-4f),
          new MethodDefault<>(MOMENTUM, 0.9f),
          new MethodDefault<>(WEIGHT_DECAY, 5e-4f),
          new MethodDefault<>(MAX_EPOCHS, 3),
          new MethodDefault<>(FORGET_BATCH, 512),
          new MethodDefault<>(ADVERSARIAL_BATCH, 256),
          new MethodDefault<>(STAND_INS, 1024));

  /**
   * Preset paper for method salun: the SalUn authors' values, from github.com/OPTML-Group/
   * Unlearn-Saliency at a6e89fd, Classification/ (ALGORITHM.md section 5): learning rate 0.013 and
   * 10 epochs (README.md, ResNet-18 on CIFAR-10, {@code --unlearn_lr 0.013 --unlearn_epochs 10}),
   * batch size 256 for forget and retain batches, SGD momentum 0.9 and weight decay 5e-4
   * (arg_parser.py defaults); the mask fraction 0.5 ({@code mask/with_0.5.pt}) is the {@code
   * salun.fraction} row's. BatchNorm in train mode ({@code RL.py} calls {@code model.train()}) is
   * the paper column's already. Held-out images or stand-ins, a batch of the authors' size per
   * step, are Lethe's substitute for the retain data when a run has none.
   */
  private static final List<MethodDefault<?>> SALUN_PAPER =
      List.of(
          new MethodDefault<>(LEARNING_RATE, 0.013f),
          new MethodDefault<>(MOMENTUM, 0.9f),
          new MethodDefault<>(WEIGHT_DECAY, 5e-4f),
          new MethodDefault<>(MAX_EPOCHS, 10),
          new MethodDefault<>(FORGET_BATCH, 256),
          new MethodDefault<>(ADVERSARIAL_BATCH, 256),
          new MethodDefault<>(HELD_OUT_BATCH, 256),
          new MethodDefault<>(STAND_INS, 1024));

  private static <T> void setDefault(
      TuningKey<T> k, UnlearnSettings.Builder b, Preset preset, Goal goal) {
    k.setIn(b, k.defaultValue(preset, goal, null));
  }

  /**
   * Checks every fine-tune key of {@code settings} against its range.
   *
   * @throws IllegalArgumentException "Cannot use unlearning setting NAME: why" for the first value
   *     out of range
   */
  static void validate(UnlearnSettings settings) {
    for (TuningKey<?> k : KEYS) {
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
    for (TuningKey<?> k : KEYS) {
      if (!k.pgd()) {
        out.put(k.name(), recordedValue(k, settings));
      }
    }
    return out;
  }

  private static <T> Object recordedValue(TuningKey<T> k, UnlearnSettings settings) {
    T v = k.valueIn(settings, null);
    return v instanceof Enum<?> e ? TuningKey.spelling(e) : v;
  }

  /**
   * The comment lines that document every key in a configuration file such as
   * conf/lethe-defaults.conf: one {@code # } line per key, {@link TuningKey#describe} for the
   * {@code lethe} preset and {@code goal}.
   */
  public static List<String> confComments(Goal goal) {
    List<String> out = new ArrayList<>(KEYS.size());
    for (TuningKey<?> k : KEYS) {
      out.add("# " + k.describe(Preset.LETHE, goal));
    }
    return out;
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
}
