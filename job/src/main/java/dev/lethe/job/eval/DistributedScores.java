package dev.lethe.job.eval;

import dev.lethe.data.Sample;
import dev.lethe.eval.Evaluation;
import dev.lethe.job.model.ExecutorModel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;

/**
 * Per-sample losses and hits of a model over an RDD of samples, computed on the executors with each
 * JVM's shared classifier ({@link ExecutorModel#sharedForInference()}) and collected in partition
 * order, so the driver gets them in the order of the RDD (for {@code parallelize}d lists: the
 * list's order). Stage D of an unlearning run: accuracies come from the hits, the
 * membership-inference attack from the losses.
 */
public final class DistributedScores {

  private DistributedScores() {}

  /** The scores of {@code model} on {@code samples}, in the RDD's order. */
  public static Evaluation.Scores score(
      JavaRDD<Sample> samples, ExecutorModel model, int batchSize) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException(
          "Cannot evaluate with batch size " + batchSize + ": give 1 or more");
    }
    List<Evaluation.Scores> parts =
        samples
            .mapPartitions(
                (Iterator<Sample> it) -> {
                  List<Sample> part = new ArrayList<>();
                  it.forEachRemaining(part::add);
                  return List.of(Evaluation.scores(model.sharedForInference(), part, batchSize))
                      .iterator();
                })
            .collect();
    Evaluation.Scores all = new Evaluation.Scores(new double[0], new boolean[0]);
    for (Evaluation.Scores part : parts) {
      all = all.plus(part);
    }
    return all;
  }
}
