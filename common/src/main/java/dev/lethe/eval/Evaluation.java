package dev.lethe.eval;

import dev.lethe.data.Sample;
import dev.lethe.model.Classifier;
import dev.lethe.model.Losses;
import java.util.List;

/** Per-sample measurements of a classifier in eval mode, batch by batch with scoped memory. */
public final class Evaluation {

  private Evaluation() {}

  /** Per-sample cross-entropy of each sample's label (eval mode). */
  public static double[] losses(Classifier model, List<Sample> samples, int batchSize) {
    float[][] rows =
        model.evalRows(
            samples,
            batchSize,
            (logits, part) -> Losses.crossEntropy(logits, model.labels(logits.getManager(), part)));
    double[] out = new double[rows.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = rows[i][0];
    }
    return out;
  }

  /** The membership-inference attack of {@code members} against {@code nonMembers}. */
  public static MembershipInference.Result membership(
      Classifier model, List<Sample> members, List<Sample> nonMembers, int batchSize, long seed) {
    return MembershipInference.attack(
        losses(model, members, batchSize), losses(model, nonMembers, batchSize), 5, seed);
  }
}
