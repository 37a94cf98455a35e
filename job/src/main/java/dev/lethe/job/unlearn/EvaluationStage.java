package dev.lethe.job.unlearn;

import dev.lethe.chart.LossHistograms;
import dev.lethe.data.Sample;
import dev.lethe.eval.Evaluation;
import dev.lethe.eval.MembershipInference;
import dev.lethe.eval.Stopwatch;
import dev.lethe.job.eval.DistributedScores;
import dev.lethe.job.model.ExecutorModel;
import dev.lethe.job.spark.DriverList;
import dev.lethe.job.spark.JobGroup;
import dev.lethe.unlearn.UnlearningResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Stage D: forget, test and retain accuracy and the membership-inference attack of the original and
 * the unlearned model, scored on the executors ({@link DistributedScores}). The test set is read
 * there from storage (cached for the two scorings); the sets the driver holds anyway go out as
 * broadcasts. Only per-sample losses and hits come back; of the losses the forget set's and the
 * non-members' (what the membership-inference attack compares) are also kept as histogram counts
 * ({@link LossHistograms}) for the version's report.html.
 */
public final class EvaluationStage {

  /** Spark job group of stage D. */
  public static final String JOB_GROUP = "lethe-unlearn-evaluate";

  private EvaluationStage() {}

  /**
   * The result with the evaluation in it, and the loss histograms of the forget set and the
   * non-members before and after (null when there is no non-member sample).
   */
  public record Output(UnlearningResult result, LossHistograms losses) {}

  /**
   * Scores both models and returns {@code result} with the evaluation in it; logs one line.
   *
   * @param unlearnedBytes the unlearned model as TorchScript bytes, broadcast for this stage only
   */
  public static Output run(
      JavaSparkContext jsc,
      UnlearnInputs in,
      ExecutorModel original,
      byte[] unlearnedBytes,
      UnlearningResult result,
      int batchSize,
      long seed,
      Consumer<String> progress) {
    long t0 = System.nanoTime();
    ExecutorModel unlearned =
        ExecutorModel.broadcast(jsc, "unlearned-" + original.name(), unlearnedBytes, in.spec());
    try (JobGroup g =
        JobGroup.start(
            jsc,
            JOB_GROUP,
            "Lethe unlearn, stage D: evaluate "
                + original.name()
                + " before and after on the executors")) {
      // The non-members of the membership-inference attack: the held-out sample if there are two
      // or more, else the test data.
      Map<String, Evaluation.Scores[]> scores = new LinkedHashMap<>();
      scoreOnDriverList(jsc, "forget", in.forget(), original, unlearned, batchSize, scores);
      if (in.test() != null && in.test().size() > 0) {
        JavaRDD<Sample> test = in.test().samples();
        test.cache();
        try {
          scores.put("test", scoreBoth(test, original, unlearned, batchSize));
        } finally {
          test.unpersist(false);
        }
      }
      scoreOnDriverList(jsc, "retain", in.retain(), original, unlearned, batchSize, scores);
      if (in.forget().size() >= 2 && in.heldOut().size() >= 2) {
        scoreOnDriverList(jsc, "non-members", in.heldOut(), original, unlearned, batchSize, scores);
      }
      Evaluation.Scores[] f = scores.get("forget");
      Evaluation.Scores[] nm =
          scores.containsKey("non-members") ? scores.get("non-members") : scores.get("test");
      MembershipInference.Result miaBefore = null;
      MembershipInference.Result miaAfter = null;
      LossHistograms losses = null;
      if (nm != null && f[0].losses().length >= 2 && nm[0].losses().length >= 2) {
        miaBefore = MembershipInference.attack(f[0].losses(), nm[0].losses(), 5, seed);
        miaAfter = MembershipInference.attack(f[1].losses(), nm[1].losses(), 5, seed);
        losses =
            LossHistograms.of(
                scores.containsKey("non-members") ? "held-out sample" : "test set",
                f[0].losses(),
                f[1].losses(),
                nm[0].losses(),
                nm[1].losses());
      }
      double seconds = Stopwatch.secondsSince(t0);
      progress.accept(
          String.format(
              "stage D: evaluated %s on the executors (%.1f s)",
              String.join(", ", scores.keySet()), seconds));
      return new Output(
          result.withEvaluation(
              accuracy(scores.get("forget")),
              accuracy(scores.get("test")),
              accuracy(scores.get("retain")),
              miaBefore,
              miaAfter,
              seconds),
          losses);
    } finally {
      unlearned.release();
    }
  }

  /**
   * Scores a set the driver holds anyway (forget, held-out, retain) when it is not empty: it goes
   * to the executors as one broadcast, each task reading its slice of it, so no task carries
   * samples; destroyed after both scorings.
   */
  private static void scoreOnDriverList(
      JavaSparkContext jsc,
      String name,
      List<Sample> samples,
      ExecutorModel original,
      ExecutorModel unlearned,
      int batchSize,
      Map<String, Evaluation.Scores[]> scores) {
    if (samples.isEmpty()) {
      return;
    }
    int partitions = Math.min(jsc.defaultParallelism(), samples.size() / 64 + 1);
    try (DriverList<Sample> shared = DriverList.spread(jsc, samples, partitions)) {
      scores.put(name, scoreBoth(shared.rdd(), original, unlearned, batchSize));
    }
  }

  private static Evaluation.Scores[] scoreBoth(
      JavaRDD<Sample> samples, ExecutorModel original, ExecutorModel unlearned, int batchSize) {
    return new Evaluation.Scores[] {
      DistributedScores.score(samples, original, batchSize),
      DistributedScores.score(samples, unlearned, batchSize)
    };
  }

  private static UnlearningResult.Accuracy accuracy(Evaluation.Scores[] beforeAfter) {
    if (beforeAfter == null) {
      return UnlearningResult.Accuracy.absent();
    }
    return new UnlearningResult.Accuracy(
        beforeAfter[0].accuracy(), beforeAfter[1].accuracy(), beforeAfter[0].correct().length);
  }
}
