package dev.lethe.unlearn;

import dev.lethe.attack.PgdSettings;
import dev.lethe.importance.MasMode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The tuning keys of an unlearning run, as strings: what {@code --set key=value} on the CLI and
 * {@code spark.lethe.<key>} properties carry. Unknown keys are rejected with the list of known
 * ones.
 */
public final class TuningOptions {

  /** Unlearning loss on the forget set: {@code margin} (default) or {@code cross-entropy}. */
  public static final String FORGET_LOSS = "forget-loss";

  /** Margin of the {@code margin} forget loss, in logits (default 1.0). */
  public static final String MARGIN = "margin";

  /** Boundary term on adversarial examples: {@code distill} (default) or {@code hard-label}. */
  public static final String ADVERSARIAL_LOSS = "adversarial-loss";

  /** BatchNorm during the fine-tune: {@code frozen} (default) or {@code train}. */
  public static final String BATCH_NORM = "batch-norm";

  /** SGD learning rate (default 3e-3; paper 1e-3). */
  public static final String LEARNING_RATE = "learning-rate";

  /** SGD momentum (default 0.9). */
  public static final String MOMENTUM = "momentum";

  /** SGD weight decay (default 0; paper 1e-4). */
  public static final String WEIGHT_DECAY = "weight-decay";

  /** Forget instances per step (default 32). */
  public static final String FORGET_BATCH = "forget-batch";

  /** Adversarial examples (or retain samples) per step (default 256). */
  public static final String ADVERSARIAL_BATCH = "adversarial-batch";

  /** Weight of the MAS anchor penalty (default 0.01; paper 1). */
  public static final String LAMBDA = "lambda";

  /** Epoch cap; reaching it fails the run (default 400; paper 1000). */
  public static final String MAX_EPOCHS = "max-epochs";

  /** MAS importance: {@code mean-gradient} (default, authors' code) or {@code per-sample}. */
  public static final String MAS_MODE = "mas-mode";

  /**
   * Which parameters the fine-tune changes: {@code all} (default, and the paper's), {@code head}
   * (the classifier layer), {@code weights} (tensors of two or more dimensions) or a regular
   * expression over parameter names.
   */
  public static final String UPDATE = "update";

  /** Shifted copies of each forget image kept at the original outputs (default 8; paper 0). */
  public static final String ANCHORS = "anchors";

  /** Weight of the forget term against the boundary term (default 1). */
  public static final String FORGET_WEIGHT = "forget-weight";

  /** Forward forget and boundary batches separately: {@code true} or {@code false} (default). */
  public static final String SEPARATE_BATCHES = "separate-batches";

  /** Steps without progress before the forget term's weight doubles (default 20; paper 0: off). */
  public static final String ESCALATE = "escalate";

  /**
   * The forget weight at which escalation gives up and the fine-tune fails (default 8; 0: none).
   */
  public static final String ESCALATE_MAX = "escalate-max";

  /**
   * Held-out images per step kept at the original model's outputs, when the run has a held-out
   * sample (default 256, 512 for goal unseen; paper 0: none).
   */
  public static final String HELD_OUT_BATCH = "held-out-batch";

  /**
   * Synthetic images (mixtures of two forget images) that stand in for a held-out sample when the
   * run has none (default 1024; paper 0: none).
   */
  public static final String STAND_INS = "stand-ins";

  /** PGD norm: {@code l2} (default) or {@code linf}. */
  public static final String PGD_NORM = "pgd.norm";

  /** PGD radius (default 2.0 below 3x32x32 inputs, 4.0 from there). */
  public static final String PGD_EPSILON = "pgd.epsilon";

  /** PGD step size (default 0.1). */
  public static final String PGD_STEP_SIZE = "pgd.step-size";

  /** PGD steps (default 100). */
  public static final String PGD_STEPS = "pgd.steps";

  /** Adversarial examples per forget instance (default 20). */
  public static final String PGD_PER_INSTANCE = "pgd.per-instance";

  /** Every key, in documentation order. */
  public static final List<String> KEYS =
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

  private TuningOptions() {}

  /** Settings and PGD settings after applying options. */
  public record Applied(UnlearnSettings settings, PgdSettings pgd) {}

  /** Applies {@code options} (key to value) on top of the given settings, in order. */
  public static Applied apply(
      UnlearnSettings settings, PgdSettings pgd, Map<String, String> options) {
    UnlearnSettings.Builder s = settings.toBuilder();
    PgdSettings p = pgd;
    for (Map.Entry<String, String> e : new LinkedHashMap<>(options).entrySet()) {
      String key = e.getKey();
      String v = e.getValue().trim();
      try {
        switch (key) {
          case FORGET_LOSS -> s.forgetLoss(enumOf(UnlearnSettings.ForgetLoss.class, v));
          case MARGIN -> s.margin(Float.parseFloat(v));
          case ADVERSARIAL_LOSS ->
              s.adversarialLoss(enumOf(UnlearnSettings.AdversarialLoss.class, v));
          case BATCH_NORM -> s.batchNorm(enumOf(UnlearnSettings.BatchNormMode.class, v));
          case LEARNING_RATE -> s.learningRate(Float.parseFloat(v));
          case MOMENTUM -> s.momentum(Float.parseFloat(v));
          case WEIGHT_DECAY -> s.weightDecay(Float.parseFloat(v));
          case FORGET_BATCH -> s.forgetBatch(Integer.parseInt(v));
          case ADVERSARIAL_BATCH -> s.adversarialBatch(Integer.parseInt(v));
          case LAMBDA -> s.lambda(Float.parseFloat(v));
          case MAX_EPOCHS -> s.maxEpochs(Integer.parseInt(v));
          case MAS_MODE -> s.masMode(enumOf(MasMode.class, v));
          case UPDATE -> s.update(v);
          case ANCHORS -> s.anchors(Integer.parseInt(v));
          case FORGET_WEIGHT -> s.forgetWeight(Float.parseFloat(v));
          case SEPARATE_BATCHES -> s.separateBatches(parseBoolean(v));
          case ESCALATE -> s.escalate(Integer.parseInt(v));
          case ESCALATE_MAX -> s.escalateMax(Float.parseFloat(v));
          case HELD_OUT_BATCH -> s.heldOutBatch(Integer.parseInt(v));
          case STAND_INS -> s.standIns(Integer.parseInt(v));
          case PGD_NORM -> p = p.withNorm(enumOf(PgdSettings.Norm.class, v));
          case PGD_EPSILON -> p = p.withEpsilon(Float.parseFloat(v));
          case PGD_STEP_SIZE -> p = p.withStepSize(Float.parseFloat(v));
          case PGD_STEPS -> p = p.withSteps(Integer.parseInt(v));
          case PGD_PER_INSTANCE -> p = p.withPerInstance(Integer.parseInt(v));
          default ->
              throw new IllegalArgumentException(
                  "Cannot use tuning option '" + key + "': unknown key; known keys are " + KEYS);
        }
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException(
            "Cannot use tuning option " + key + "=" + v + ": not a number", ex);
      }
    }
    try {
      return new Applied(s.build(), p);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          e.getMessage() + " (from the tuning options " + options + ")", e);
    }
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

  private static boolean parseBoolean(String v) {
    if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(v);
    }
    throw new IllegalArgumentException("Cannot use value '" + v + "': choose true or false");
  }

  private static <E extends Enum<E>> E enumOf(Class<E> type, String value) {
    String wanted = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (E e : type.getEnumConstants()) {
      if (e.name().equals(wanted)) {
        return e;
      }
    }
    StringBuilder names = new StringBuilder();
    for (E e : type.getEnumConstants()) {
      names.append(names.length() == 0 ? "" : ", ").append(spelling(e));
    }
    throw new IllegalArgumentException("Cannot use value '" + value + "': choose one of " + names);
  }

  /** The option spelling of an enum constant: lower case with dashes. */
  public static String spelling(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
