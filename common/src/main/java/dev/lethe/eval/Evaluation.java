package dev.lethe.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import dev.lethe.data.Sample;
import dev.lethe.model.Classifier;
import dev.lethe.model.Losses;
import java.io.Serializable;
import java.util.Arrays;
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

  /**
   * Per-sample cross-entropy of each sample's label and whether the model predicts the label (eval
   * mode), in one forward pass per batch.
   */
  public static Scores scores(Classifier model, List<Sample> samples, int batchSize) {
    float[][] rows =
        model.evalRows(
            samples,
            batchSize,
            (logits, part) -> {
              NDArray labels = model.labels(logits.getManager(), part);
              NDArray correct = logits.argMax(1).eq(labels).toType(DataType.FLOAT32, false);
              return NDArrays.stack(new NDList(Losses.crossEntropy(logits, labels), correct), 1);
            });
    double[] losses = new double[rows.length];
    boolean[] correct = new boolean[rows.length];
    for (int i = 0; i < rows.length; i++) {
      losses[i] = rows[i][0];
      correct[i] = rows[i][1] > 0.5f;
    }
    return new Scores(losses, correct);
  }

  /** Per-sample losses and hits of {@link #scores}. */
  public record Scores(double[] losses, boolean[] correct) implements Serializable {

    /** Fraction of hits; NaN for no samples. */
    public double accuracy() {
      int hits = 0;
      for (boolean c : correct) {
        if (c) {
          hits++;
        }
      }
      return correct.length == 0 ? Double.NaN : hits / (double) correct.length;
    }

    /** These scores followed by {@code other}'s. */
    public Scores plus(Scores other) {
      double[] l = Arrays.copyOf(losses, losses.length + other.losses.length);
      System.arraycopy(other.losses, 0, l, losses.length, other.losses.length);
      boolean[] c = Arrays.copyOf(correct, correct.length + other.correct.length);
      System.arraycopy(other.correct, 0, c, correct.length, other.correct.length);
      return new Scores(l, c);
    }
  }

  /** The membership-inference attack of {@code members} against {@code nonMembers}. */
  public static MembershipInference.Result membership(
      Classifier model, List<Sample> members, List<Sample> nonMembers, int batchSize, long seed) {
    return MembershipInference.attack(
        losses(model, members, batchSize), losses(model, nonMembers, batchSize), 5, seed);
  }
}
