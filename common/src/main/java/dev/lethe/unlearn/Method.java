package dev.lethe.unlearn;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The unlearning methods of ALGORITHM.md section 5: one loop, different loss terms. */
public enum Method {
  /** Unlearning loss only: gradient ascent on the forget set. */
  NEGGRAD(false, false, false),
  /** Unlearning loss plus the adversarial-example term. */
  ADV(true, false, false),
  /** Unlearning loss, adversarial examples and the MAS-weighted anchor (the default). */
  L2UL(true, true, false),
  /** Unlearning loss plus cross-entropy on a sample of retained data (an oracle baseline). */
  RETAIN(false, false, true),
  /** Cross-entropy toward a random wrong label on each forget instance. */
  RANDOM_LABEL(false, false, false),
  /**
   * SalUn (Fan et al., ICLR 2024): random labels on the forget set, cross-entropy on a retain
   * sample when given, only the salient weights move ({@link SalUn}).
   */
  SALUN(false, false, false),
  /**
   * SCRUB: max-steps away from the original model on the forget set, min-steps toward it on data
   * kept.
   */
  SCRUB(false, false, false);

  private final boolean adversarial;
  private final boolean importance;
  private final boolean retain;

  Method(boolean adversarial, boolean importance, boolean retain) {
    this.adversarial = adversarial;
    this.importance = importance;
    this.retain = retain;
  }

  /** Whether the method needs the adversarial set (stage A). */
  public boolean usesAdversarialExamples() {
    return adversarial;
  }

  /** Whether the method needs MAS importance (stage B). */
  public boolean usesImportance() {
    return importance;
  }

  /** Whether the method needs a sample of retained training data. */
  public boolean usesRetainSample() {
    return retain;
  }

  /**
   * Whether the forget term is cross-entropy toward a random wrong label per forget instance
   * (random-label, salun), whose stop rule is plain misclassification and which takes no target.
   */
  public boolean drawsRandomLabels() {
    return this == RANDOM_LABEL || this == SALUN;
  }

  /** The CLI spelling: lower case with dashes ({@code random-label}). */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Parses the CLI spelling, naming the valid values when it is unknown. */
  public static Method parse(String value) {
    for (Method m : values()) {
      if (m.cliName().equals(value.toLowerCase(Locale.ROOT))) {
        return m;
      }
    }
    List<String> names = new ArrayList<>();
    for (Method m : values()) {
      names.add(m.cliName());
    }
    throw new IllegalArgumentException(
        "Cannot use method '" + value + "': choose one of " + String.join(", ", names));
  }
}
