package dev.lethe.job.unlearn;

import dev.lethe.attack.AdversarialExample;
import dev.lethe.attack.PgdAttack;
import dev.lethe.attack.PgdSettings;
import dev.lethe.data.Sample;
import dev.lethe.eval.Stopwatch;
import dev.lethe.job.model.ExecutorModel;
import java.util.List;
import java.util.function.Consumer;
import org.apache.spark.sql.SparkSession;

/**
 * Stage A: PGD adversarial examples of the forget set, generated on the executors and checkpointed
 * as Parquet in the run's work folder ({@link DistributedStages#adversarial}).
 */
public final class AdversarialStage {

  /** The examples, in instance order then j order, and the stage's wall time. */
  public record Output(List<AdversarialExample> examples, double seconds) {}

  private AdversarialStage() {}

  /** Runs stage A under its job group and logs one line when done. */
  public static Output run(
      SparkSession spark,
      ExecutorModel original,
      List<Sample> forget,
      PgdSettings pgd,
      int partitions,
      int batchSize,
      String checkpoint,
      Consumer<String> progress) {
    long t0 = System.nanoTime();
    List<AdversarialExample> adversarial =
        DistributedStages.adversarial(
            spark, original, forget, pgd, partitions, batchSize, checkpoint);
    double seconds = Stopwatch.secondsSince(t0);
    progress.accept(
        String.format(
            "stage A: %d adversarial examples (%.1f per second), attack success %.3f (%.1f s),"
                + " checkpoint %s",
            adversarial.size(),
            adversarial.size() / Math.max(seconds, 1e-9),
            PgdAttack.successRate(adversarial),
            seconds,
            checkpoint));
    return new Output(adversarial, seconds);
  }
}
