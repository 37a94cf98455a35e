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
import dev.lethe.job.spark.DriverList;
import dev.lethe.job.spark.JobGroup;
import dev.lethe.job.spark.StageProgress;
import dev.lethe.model.Classifier;
import java.io.Serializable;
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
import org.apache.spark.util.TaskCompletionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor stages of an unlearning run: PGD adversarial examples (stage A) and MAS importance
 * sums (stage B), each over the forget set spread across partitions.
 *
 * <p>Stage A attacks the executor JVM's shared, frozen model ({@link
 * ExecutorModel#sharedForInference}): PGD needs gradients with respect to the input only, so the
 * weights stay out of autograd and every task of the JVM uses the one copy, loaded once, whose
 * TorchScript graph executor profiles and optimises once per JVM rather than once per task. Stage B
 * needs weight gradients, so each of its tasks loads its own trainable copy (gradient work changes
 * module state) and turns autograd on for its thread. No task opens a GradientCollector, so several
 * tasks per executor JVM are safe.
 *
 * <p>Stage A reports where its tasks spend their time as named accumulators (Spark's UI shows them
 * on the stage's page; a SparkListener sees them in the stage's accumulables): {@link
 * #ADVERSARIAL_MODEL_MS}, {@link #ADVERSARIAL_PGD_MS}, {@link #ADVERSARIAL_WRITE_MS}, {@link
 * #ADVERSARIAL_TASKS} and {@link #ADVERSARIAL_TORCH_THREADS}; each task also logs one line with its
 * own numbers, and the driver logs the totals and the read-back time.
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

  /**
   * Accumulator: milliseconds stage A's tasks spent getting the model (the JVM's first task loads
   * it, later ones find it loaded), summed over tasks.
   */
  public static final String ADVERSARIAL_MODEL_MS = "lethe.stageA.modelMs";

  /** Accumulator: milliseconds stage A's tasks spent in PGD, summed over tasks. */
  public static final String ADVERSARIAL_PGD_MS = "lethe.stageA.pgdMs";

  /**
   * Accumulator: milliseconds from the end of a task's PGD to the end of the task (its rows turned
   * into Parquet and the file committed), summed over tasks.
   */
  public static final String ADVERSARIAL_WRITE_MS = "lethe.stageA.writeMs";

  /** Accumulator: stage A's tasks that computed examples (attempts included). */
  public static final String ADVERSARIAL_TASKS = "lethe.stageA.tasks";

  /**
   * Accumulator: libtorch intra-op threads of each stage A task's JVM, summed over tasks (divide by
   * {@link #ADVERSARIAL_TASKS} for the threads per task).
   */
  public static final String ADVERSARIAL_TORCH_THREADS = "lethe.stageA.torchThreads";

  private static final Logger LOG = LoggerFactory.getLogger(DistributedStages.class);

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
    try (DriverList<Sample> spread = spread(jsc, forget, partitions);
        JobGroup g =
            JobGroup.start(
                jsc,
                ADVERSARIAL_GROUP,
                "Lethe unlearn, stage A: PGD adversarial examples for "
                    + over(forget, model, spread.rdd()));
        StageProgress progress =
            StageProgress.start(
                jsc, "stage A", forget.size(), pgd.perInstance(), "adversarial examples")) {
      LongAccumulator done = progress.done();
      TaskTimes times = new TaskTimes(jsc);
      long start = System.nanoTime();
      AdversarialCheckpoint.write(
          spark,
          spread
              .rdd()
              .mapPartitions(
                  (Iterator<Sample> part) -> {
                    List<AdversarialExample> made =
                        onSharedModel(model, part, pgd, batchSize, times);
                    done.add(made.size() / Math.max(1, pgd.perInstance()));
                    return made.iterator();
                  }),
          checkpoint);
      long written = System.nanoTime();
      List<AdversarialExample> examples = AdversarialCheckpoint.read(spark, checkpoint, forget);
      LOG.info(
          "stage A: PGD and checkpoint write {} ms, read back {} ms; in {} tasks: model {} ms, PGD"
              + " {} ms, write {} ms, {} libtorch threads per task",
          millis(written - start),
          millis(System.nanoTime() - written),
          times.tasks.value(),
          times.model.value(),
          times.pgd.value(),
          times.write.value(),
          times.tasks.value() == 0 ? 0 : times.threads.value() / times.tasks.value());
      return examples;
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
    ImportanceSums none = new ImportanceSums(mode, 0, new LinkedHashMap<>());
    try (DriverList<Sample> spread = spread(jsc, forget, partitions);
        JobGroup g =
            JobGroup.start(
                jsc,
                IMPORTANCE_GROUP,
                "Lethe unlearn, stage B: MAS weight importance ("
                    + mode
                    + ") over "
                    + over(forget, model, spread.rdd()));
        StageProgress progress =
            StageProgress.start(jsc, "stage B", forget.size(), 1, "instances")) {
      LongAccumulator done = progress.done();
      int depth = treeDepth(spread.rdd().getNumPartitions());
      return spread
          .rdd()
          .mapPartitions(
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

  private static DriverList<Sample> spread(
      JavaSparkContext jsc, List<Sample> forget, int partitions) {
    if (forget.isEmpty()) {
      throw new IllegalArgumentException("Cannot unlearn: the forget set is empty");
    }
    return DriverList.spread(jsc, forget, partitions > 0 ? partitions : jsc.defaultParallelism());
  }

  /**
   * Stage A on one partition: PGD on the JVM's shared frozen model, the task's times added to
   * {@code times}. PGD gets autograd for the input from {@link Classifier#inputGradient} itself.
   */
  private static List<AdversarialExample> onSharedModel(
      ExecutorModel holder,
      Iterator<Sample> part,
      PgdSettings pgd,
      int batchSize,
      TaskTimes times) {
    List<Sample> samples = drain(part);
    if (samples.isEmpty()) {
      return List.of();
    }
    long start = System.nanoTime();
    Classifier model = holder.sharedForInference();
    long loaded = System.nanoTime();
    TaskContext task = TaskContext.get();
    // A killed task (its job cancelled, e.g. by the shutdown hook on a signal) ends between two PGD
    // steps instead of attacking the rest of its partition.
    List<AdversarialExample> made =
        new PgdAttack(model, pgd)
            .stopWhen(() -> task != null && task.isInterrupted())
            .generate(samples, batchSize);
    long attacked = System.nanoTime();
    int threads = JniUtils.getNumThreads();
    long modelMs = millis(loaded - start);
    long pgdMs = millis(attacked - loaded);
    times.tasks.add(1);
    times.model.add(modelMs);
    times.pgd.add(pgdMs);
    times.threads.add(threads);
    LOG.info(
        "stage A task {}: {} instances, {} examples; model {} ms, PGD {} ms ({} ms per example),"
            + " {} libtorch threads",
        task == null ? "-" : task.partitionId(),
        samples.size(),
        made.size(),
        modelMs,
        pgdMs,
        made.isEmpty() ? 0 : pgdMs / made.size(),
        threads);
    if (task != null) {
      // A task of a cancelled job (a stopping JVM, a failed sibling) ends here and writes
      // nothing: the partition is done as a whole, so this is the first chance to notice.
      task.killTaskIfInterrupted();
      task.addTaskCompletionListener(
          (TaskCompletionListener) ctx -> times.write.add(millis(System.nanoTime() - attacked)));
    }
    return made;
  }

  private static long millis(long nanos) {
    return nanos / 1_000_000;
  }

  /** Stage A's named accumulators (see the class comment). */
  private static final class TaskTimes implements Serializable {
    private static final long serialVersionUID = 1L;
    final LongAccumulator model;
    final LongAccumulator pgd;
    final LongAccumulator write;
    final LongAccumulator tasks;
    final LongAccumulator threads;

    TaskTimes(JavaSparkContext jsc) {
      model = jsc.sc().longAccumulator(ADVERSARIAL_MODEL_MS);
      pgd = jsc.sc().longAccumulator(ADVERSARIAL_PGD_MS);
      write = jsc.sc().longAccumulator(ADVERSARIAL_WRITE_MS);
      tasks = jsc.sc().longAccumulator(ADVERSARIAL_TASKS);
      threads = jsc.sc().longAccumulator(ADVERSARIAL_TORCH_THREADS);
    }
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
