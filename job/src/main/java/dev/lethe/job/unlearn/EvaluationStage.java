package dev.lethe.job.unlearn;

import dev.lethe.data.Sample;
import dev.lethe.eval.Evaluation;
import dev.lethe.eval.MembershipInference;
import dev.lethe.eval.Stopwatch;
import dev.lethe.job.eval.DistributedScores;
import dev.lethe.job.model.ExecutorModel;
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
 * the unlearned model, scored on the executors ({@link DistributedScores}).
 */
public final class EvaluationStage {

  /** Spark job group of stage D. */
  public static final String JOB_GROUP = "lethe-unlearn-evaluate";

  private EvaluationStage() {}

  /**
   * Scores both models and returns {@code result} with the evaluation in it; logs one line.
   *
   * @param unlearnedBytes the unlearned model as TorchScript bytes, broadcast for this stage only
   */
  public static UnlearningResult run(
      JavaSparkContext jsc,
      UnlearnInputs in,
      ExecutorModel original,
      byte[] unlearnedBytes,
      UnlearningResult result,
      int batchSize,
      long seed,
      Consumer<String> progress) {
    long t0 = System.nanoTime();
    List<Sample> nonMembers = in.nonMembers();
    ExecutorModel unlearned =
        ExecutorModel.broadcast(jsc, "unlearned-" + original.name(), unlearnedBytes, in.spec());
    try (JobGroup g =
        JobGroup.start(
            jsc,
            JOB_GROUP,
            "Lethe unlearn, stage D: evaluate "
                + original.name()
                + " before and after on the executors")) {
      Map<String, List<Sample>> sets = new LinkedHashMap<>();
      sets.put("forget", in.forget());
      sets.put("test", in.test());
      sets.put("retain", in.retain());
      if (in.forget().size() >= 2 && nonMembers.size() >= 2 && nonMembers != in.test()) {
        sets.put("non-members", nonMembers);
      }
      Map<String, Evaluation.Scores[]> scores = new LinkedHashMap<>();
      for (Map.Entry<String, List<Sample>> set : sets.entrySet()) {
        if (set.getValue().isEmpty()) {
          continue;
        }
        int partitions =
            Math.max(1, Math.min(jsc.defaultParallelism(), set.getValue().size() / 64 + 1));
        JavaRDD<Sample> rdd = jsc.parallelize(set.getValue(), partitions);
        rdd.cache();
        try {
          scores.put(
              set.getKey(),
              new Evaluation.Scores[] {
                DistributedScores.score(rdd, original, batchSize),
                DistributedScores.score(rdd, unlearned, batchSize)
              });
        } finally {
          rdd.unpersist(false);
        }
      }
      Evaluation.Scores[] f = scores.get("forget");
      Evaluation.Scores[] nm =
          scores.containsKey("non-members") ? scores.get("non-members") : scores.get("test");
      MembershipInference.Result miaBefore = null;
      MembershipInference.Result miaAfter = null;
      if (nm != null && f[0].losses().length >= 2 && nm[0].losses().length >= 2) {
        miaBefore = MembershipInference.attack(f[0].losses(), nm[0].losses(), 5, seed);
        miaAfter = MembershipInference.attack(f[1].losses(), nm[1].losses(), 5, seed);
      }
      double seconds = Stopwatch.secondsSince(t0);
      progress.accept(
          String.format(
              "stage D: evaluated %s on the executors (%.1f s)",
              String.join(", ", scores.keySet()), seconds));
      return result.withEvaluation(
          accuracy(scores.get("forget")),
          accuracy(scores.get("test")),
          accuracy(scores.get("retain")),
          miaBefore,
          miaAfter,
          seconds);
    } finally {
      unlearned.release();
    }
  }

  private static UnlearningResult.Accuracy accuracy(Evaluation.Scores[] beforeAfter) {
    if (beforeAfter == null) {
      return UnlearningResult.Accuracy.absent();
    }
    return new UnlearningResult.Accuracy(
        beforeAfter[0].accuracy(), beforeAfter[1].accuracy(), beforeAfter[0].correct().length);
  }
}
