package dev.lethe.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.lethe.data.Sample;
import dev.lethe.model.Classifier;
import dev.lethe.model.Losses;
import java.util.List;

/** Per-sample measurements of a classifier in eval mode, batch by batch with scoped memory. */
public final class Evaluation {

  private Evaluation() {}

  /** Per-sample cross-entropy of each sample's label (eval mode). */
  public static double[] losses(Classifier model, List<Sample> samples, int batchSize) {
    double[] out = new double[samples.size()];
    for (int from = 0; from < samples.size(); from += batchSize) {
      List<Sample> part = samples.subList(from, Math.min(samples.size(), from + batchSize));
      try (NDManager m = model.newBatchManager()) {
        NDArray logits = model.forward(model.batch(m, part), Classifier.Mode.EVAL);
        float[] ce = Losses.crossEntropy(logits, model.labels(m, part)).toFloatArray();
        for (int i = 0; i < ce.length; i++) {
          out[from + i] = ce[i];
        }
      }
    }
    return out;
  }

  /** Fraction of samples predicted as {@code target[i]} (targeted goal); NaN for none. */
  public static double fractionPredictedAs(int[] predictions, int[] targets) {
    if (predictions.length == 0) {
      return Double.NaN;
    }
    int hit = 0;
    for (int i = 0; i < predictions.length; i++) {
      if (predictions[i] == targets[i]) {
        hit++;
      }
    }
    return hit / (double) predictions.length;
  }

  /** The membership-inference attack of {@code members} against {@code nonMembers}. */
  public static MembershipInference.Result membership(
      Classifier model, List<Sample> members, List<Sample> nonMembers, int batchSize, long seed) {
    return MembershipInference.attack(
        losses(model, members, batchSize), losses(model, nonMembers, batchSize), 5, seed);
  }
}
