package dev.lethe.job.unlearn;

import dev.lethe.data.Sample;
import dev.lethe.eval.Stopwatch;
import dev.lethe.importance.Importance;
import dev.lethe.importance.ImportanceSums;
import dev.lethe.importance.Mas;
import dev.lethe.importance.MasMode;
import dev.lethe.job.model.ExecutorModel;
import java.util.List;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Stage B: MAS weight importance over the forget set, partial sums on the executors added in a tree
 * there ({@link DistributedStages#importanceSums}: the driver receives one sum) and finished on the
 * driver.
 */
public final class ImportanceStage {

  /** The importance and the stage's wall time. */
  public record Output(Importance importance, double seconds) {}

  private ImportanceStage() {}

  /** Runs stage B under its job group and logs one line when done. */
  public static Output run(
      JavaSparkContext jsc,
      ExecutorModel original,
      List<Sample> forget,
      MasMode mode,
      int partitions,
      int batchSize,
      Consumer<String> progress) {
    long t0 = System.nanoTime();
    ImportanceSums sums =
        DistributedStages.importanceSums(jsc, original, forget, mode, partitions, batchSize);
    Importance importance = Mas.finish(sums);
    double seconds = Stopwatch.secondsSince(t0);
    progress.accept(
        String.format(
            "stage B: MAS importance over %d instances, %d tensors (%.1f s)",
            sums.count(), sums.sums().size(), seconds));
    return new Output(importance, seconds);
  }
}
