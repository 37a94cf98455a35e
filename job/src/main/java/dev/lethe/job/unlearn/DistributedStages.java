package dev.lethe.job.unlearn;

import ai.djl.pytorch.jni.JniUtils;
import dev.lethe.attack.AdversarialExample;
import dev.lethe.attack.PgdAttack;
import dev.lethe.attack.PgdSettings;
import dev.lethe.data.Sample;
import dev.lethe.importance.ImportanceSums;
import dev.lethe.importance.Mas;
import dev.lethe.importance.MasMode;
import dev.lethe.job.model.ExecutorModel;
import dev.lethe.job.spark.JobGroup;
import dev.lethe.job.spark.StageProgress;
import dev.lethe.model.Classifier;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;

/**
 * The executor stages of an unlearning run: PGD adversarial examples (stage A) and MAS importance
 * sums (stage B), each over the forget set spread across partitions. Every task loads its own
 * trainable copy of the model (gradient work changes module state) and turns autograd on for its
 * thread; no task opens a GradientCollector, so several tasks per executor JVM are safe.
 *
 * <p>The results equal the single-JVM {@link PgdAttack#generate} and {@link Mas#partialSums} over
 * the whole forget set, whatever the partitioning: PGD is seeded per (seed, instance id, j), and
 * MAS sums add up.
 */
public final class DistributedStages {

  /** Spark job group of stage A. */
  public static final String ADVERSARIAL_GROUP = "lethe-unlearn-adversarial";

  /** Spark job group of stage B. */
  public static final String IMPORTANCE_GROUP = "lethe-unlearn-importance";

  private DistributedStages() {}

  /**
   * Stage A: {@code pgd.perInstance()} adversarial examples per forget instance, written by the
   * executors as a Parquet checkpoint at {@code checkpoint} (see {@link AdversarialCheckpoint}) and
   * read back in instance order and then j order (as {@link PgdAttack#generate}).
   */
  public static List<AdversarialExample> adversarial(
      SparkSession spark,
      ExecutorModel model,
      List<Sample> forget,
      PgdSettings pgd,
      int partitions,
      int batchSize,
      String checkpoint) {
    Objects.requireNonNull(pgd, "pgd");
    Objects.requireNonNull(checkpoint, "checkpoint");
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaRDD<Sample> rdd = spread(jsc, forget, partitions);
    try (JobGroup g =
            JobGroup.start(
                jsc,
                ADVERSARIAL_GROUP,
                "Lethe unlearn, stage A: PGD adversarial examples for "
                    + over(forget, model, rdd));
        StageProgress progress =
            StageProgress.start(
                jsc, "stage A", forget.size(), pgd.perInstance(), "adversarial examples")) {
      LongAccumulator done = progress.done();
      AdversarialCheckpoint.write(
          spark,
          rdd.mapPartitions(
              (Iterator<Sample> part) ->
                  onPrivateModel(
                          model,
                          part,
                          (m, samples) -> {
                            List<AdversarialExample> made =
                                new PgdAttack(m, pgd).generate(samples, batchSize);
                            done.add(samples.size());
                            return made;
                          })
                      .iterator()),
          checkpoint);
      return AdversarialCheckpoint.read(spark, checkpoint, forget);
    }
  }

  /**
   * Stage B: the MAS sums over the whole forget set, added across partitions on the executors.
   *
   * <p>Every partition makes one full-size partial sum (one float per model parameter). They are
   * added in a tree of depth {@link #treeDepth}(p) = ceil(log2 p): each level halves the number of
   * partial sums (Spark's {@code treeAggregate} then adds pairs, a reduce task holding about two
   * sums) until at most 5 are left, and a last one-task stage on an executor adds those. The driver
   * receives exactly one sum whatever p: O(parameters) bytes, where Spark's default depth of 2 sent
   * it about sqrt(p) sums (8 at 64 partitions) and {@code spark.driver.maxResultSize} limits their
   * total. The executors move O(parameters x p) bytes in log2(p) shuffle stages.
   */
  public static ImportanceSums importanceSums(
      JavaSparkContext jsc,
      ExecutorModel model,
      List<Sample> forget,
      MasMode mode,
      int partitions,
      int batchSize) {
    Objects.requireNonNull(mode, "mode");
    JavaRDD<Sample> rdd = spread(jsc, forget, partitions);
    int depth = treeDepth(rdd.getNumPartitions());
    ImportanceSums none = new ImportanceSums(mode, 0, new LinkedHashMap<>());
    try (JobGroup g =
            JobGroup.start(
                jsc,
                IMPORTANCE_GROUP,
                "Lethe unlearn, stage B: MAS weight importance ("
                    + mode
                    + ") over "
                    + over(forget, model, rdd));
        StageProgress progress =
            StageProgress.start(jsc, "stage B", forget.size(), 1, "instances")) {
      LongAccumulator done = progress.done();
      return rdd.mapPartitions(
              (Iterator<Sample> part) ->
                  onPrivateModel(
                          model,
                          part,
                          (m, samples) -> {
                            ImportanceSums sums = Mas.partialSums(m, samples, mode, batchSize);
                            done.add(samples.size());
                            return List.of(sums);
                          })
                      .iterator())
          .treeAggregate(none, DistributedStages::add, DistributedStages::add, depth, true);
    }
  }

  /**
   * The depth of the aggregation tree over {@code partitions} partial sums: ceil(log2 p), at least
   * 1, so that Spark's tree adds them about two at a time.
   */
  static int treeDepth(int partitions) {
    return Math.max(1, 32 - Integer.numberOfLeadingZeros(Math.max(1, partitions) - 1));
  }

  /** Two partial sums added; the sums over no parameter (the aggregation's zero) add nothing. */
  private static ImportanceSums add(ImportanceSums a, ImportanceSums b) {
    if (a.sums().isEmpty()) {
      return b;
    }
    return b.sums().isEmpty() ? a : a.plus(b);
  }

  /** "N forget instances of MODEL on P partitions", for job group descriptions. */
  private static String over(List<Sample> forget, ExecutorModel model, JavaRDD<Sample> rdd) {
    return forget.size()
        + " forget instances of "
        + model.name()
        + " on "
        + rdd.getNumPartitions()
        + " partitions";
  }

  private static JavaRDD<Sample> spread(JavaSparkContext jsc, List<Sample> forget, int partitions) {
    if (forget.isEmpty()) {
      throw new IllegalArgumentException("Cannot unlearn: the forget set is empty");
    }
    int n = partitions > 0 ? partitions : jsc.defaultParallelism();
    return jsc.parallelize(forget, Math.max(1, Math.min(n, forget.size())));
  }

  /**
   * Runs {@code work} on a partition's samples with a trainable private copy of the model and
   * autograd on for this task's thread (both stages need input or weight gradients).
   */
  private static <T> List<T> onPrivateModel(
      ExecutorModel holder,
      Iterator<Sample> part,
      BiFunction<Classifier, List<Sample>, List<T>> work) {
    List<Sample> samples = drain(part);
    if (samples.isEmpty()) {
      return List.of();
    }
    // Load first: in a fresh executor JVM the load also loads libtorch, which the grad-mode call
    // needs (before it, the JNI method is unlinked).
    try (Classifier model = holder.loadPrivate(true)) {
      JniUtils.setGradMode(true);
      try {
        List<T> done = new ArrayList<>(work.apply(model, samples));
        // A task of a cancelled job (a stopping JVM, a failed sibling) ends here and writes
        // nothing: the partition is done as a whole, so this is the first chance to notice.
        TaskContext task = TaskContext.get();
        if (task != null) {
          task.killTaskIfInterrupted();
        }
        return done;
      } finally {
        JniUtils.setGradMode(false);
      }
    }
  }

  private static List<Sample> drain(Iterator<Sample> part) {
    List<Sample> out = new ArrayList<>();
    part.forEachRemaining(out::add);
    return out;
  }
}
