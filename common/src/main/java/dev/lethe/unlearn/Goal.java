package dev.lethe.unlearn;

import java.util.Locale;

/** When unlearning stops. */
public enum Goal {
  /**
   * Every forget instance is misclassified (untargeted), or predicted as its chosen class
   * (targeted): the paper's goal.
   */
  MISCLASSIFY,
  /**
   * The forget instances look like data the model never saw: their median loss reaches a held-out
   * sample's median loss. Needs a held-out sample. With the margin forget loss an instance is
   * pushed only until its logit gap (own class against the best other) is the margin below the
   * held-out sample's median gap, not past the decision boundary.
   */
  UNSEEN;

  /** The CLI spelling. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses the CLI spelling. */
  public static Goal parse(String value) {
    for (Goal g : values()) {
      if (g.cliName().equals(value.toLowerCase(Locale.ROOT))) {
        return g;
      }
    }
    throw new IllegalArgumentException(
        "Cannot use goal '" + value + "': choose misclassify or unseen");
  }
}
