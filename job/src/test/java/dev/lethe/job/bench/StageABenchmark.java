package dev.lethe.job.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lethe.attack.AdversarialExample;
import dev.lethe.attack.PgdAttack;
import dev.lethe.attack.PgdSettings;
import dev.lethe.data.IdxReader;
import dev.lethe.data.Sample;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.cluster.StandaloneCluster;
import dev.lethe.job.model.ExecutorModel;
import dev.lethe.job.model.ModelArtifact;
import dev.lethe.job.model.TorchThreads;
import dev.lethe.job.unlearn.DistributedStages;
import dev.lethe.model.Classifier;
import dev.lethe.model.ModelSpec;
import dev.lethe.model.SpecResolver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Stage A's throughput (adversarial examples per second) in one configuration per JVM: {@code
 * plain} (PgdAttack in this JVM, no Spark), a Spark local master such as {@code local[1]} or {@code
 * local[2]}, or {@code standalone-N}: a standalone cluster of a master and N one-core workers, each
 * a separate JVM (the integration tests' {@link StandaloneCluster}), started for this one
 * application, whose executors get the job jar. Spark configurations run
 * DistributedStages.adversarial with its Parquet checkpoint, as the job runs it, and record where
 * the tasks spent their time (model, PGD, write; the stage's named accumulators), the executors'
 * task metrics and the executors' libtorch threads per task. One JVM per configuration, because
 * libtorch's thread pool is sized once per JVM. Appends one JSON line. deploy/bin/bench-stage-a
 * runs the configurations and prints the ratios; docs/BENCHMARKS.md has the numbers.
 *
 * <pre>
 * StageABenchmark --mode standalone-2 --model M.pt --images train-images-idx3-ubyte.gz --k 8 --out F
 *     [--job-jar job/target/lethe-job-VERSION.jar]   (standalone only; default: found in job/target)
 *     [--partitions P]   (Spark only; default: Spark's default parallelism, one task per core)
 * </pre>
 *
 * <p>For Spark the clock starts once the session is up, the model broadcast and (standalone) every
 * executor registered, and stops with the examples read back from the checkpoint.
 */
public final class StageABenchmark {

  private static final Pattern STANDALONE = Pattern.compile("standalone-(\\d+)");

  private StageABenchmark() {}

  /** The job jar for the executors: {@code given}, or job/target/lethe-job-*.jar of the repo. */
  private static Path jobJar(String given) throws IOException {
    if (given != null) {
      return Path.of(given).toAbsolutePath();
    }
    Path target = JobFixtures.repo().resolve("job/target");
    try (var jars = Files.list(target)) {
      return jars.filter(p -> p.getFileName().toString().matches("lethe-job-.*\\.jar"))
          .findFirst()
          .orElseThrow(
              () ->
                  new IllegalStateException(
                      "Cannot find the job jar in "
                          + target
                          + " for the executors; build it with mvn -B -q -DskipTests package or"
                          + " give --job-jar"));
    }
  }

  /** Waits until {@code executors} executors (besides the driver) have registered. */
  private static void awaitExecutors(SparkSession spark, int executors)
      throws InterruptedException {
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (spark.sparkContext().statusTracker().getExecutorInfos().length < executors + 1) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "Cannot run the benchmark: " + executors + " executors did not register in 120 s");
      }
      Thread.sleep(200);
    }
  }

  public static void main(String[] args) throws IOException {
    Map<String, String> a = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    String mode = a.getOrDefault("mode", "plain");
    Path model = Path.of(a.getOrDefault("model", "deploy/models/fashion-resnet18-w16.pt"));
    Path images =
        Path.of(a.getOrDefault("images", "data/fashion-mnist/train-images-idx3-ubyte.gz"));
    Path labels = Path.of(images.toString().replace("images-idx3", "labels-idx1"));
    int k = Integer.parseInt(a.getOrDefault("k", "8"));
    int partitionsGiven = Integer.parseInt(a.getOrDefault("partitions", "0"));
    int partitions = 0;
    Path out = Path.of(a.getOrDefault("out", "target/stage-a-benchmark.jsonl"));
    List<Sample> train = IdxReader.read(images, labels);
    List<Sample> forget = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      forget.add(train.get((int) ((i * 7919L) % train.size())));
    }

    long start;
    List<AdversarialExample> examples;
    int threads;
    Map<String, Long> parts = Map.of();
    Map<String, Long> metrics = Map.of();
    int executors = 0;
    if (mode.equals("plain")) {
      threads = Runtime.getRuntime().availableProcessors();
      try (Classifier c = Classifier.load(model, SpecResolver.Partial.empty("benchmark"))) {
        PgdSettings pgd = PgdSettings.defaults(c.spec().input()).withSeed(0);
        start = System.nanoTime();
        examples = new PgdAttack(c, pgd).generate(forget, 256);
      }
    } else {
      Matcher standalone = STANDALONE.matcher(mode);
      StandaloneCluster cluster = null;
      SparkConf conf =
          new SparkConf()
              .setAppName("lethe-stage-a-benchmark")
              .set("spark.ui.enabled", "false")
              .set("spark.driver.host", "127.0.0.1");
      try {
        if (standalone.matches()) {
          executors = Integer.parseInt(standalone.group(1));
          Path dir = Files.createTempDirectory("lethe-stage-a-cluster-");
          Path home = StandaloneCluster.makeSparkHome(dir.resolve("spark-home"));
          cluster = StandaloneCluster.start(home, dir.resolve("cluster"), executors);
          // A benchmark stopped by a signal stops its daemons too.
          StandaloneCluster started = cluster;
          Runtime.getRuntime().addShutdownHook(new Thread(started::close));
          conf.setMaster(cluster.masterUrl())
              .set("spark.jars", jobJar(a.get("job-jar")).toString())
              .set("spark.cores.max", Integer.toString(executors))
              .set("spark.executor.cores", "1")
              .set("spark.executor.memory", "1g")
              .set("spark.executor.extraJavaOptions", "-XX:MaxDirectMemorySize=512m");
          System.err.println(
              "stage-a benchmark: " + executors + " workers at " + cluster.masterUrl());
        } else {
          conf.setMaster(mode);
        }
        threads = TorchThreads.configure(conf);
        SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
        try {
          JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
          awaitExecutors(spark, executors);
          StageTotals totals = StageTotals.listen(spark.sparkContext());
          try (ModelArtifact artifact =
              ModelArtifact.fetch(model.toString(), spark.sparkContext().hadoopConfiguration())) {
            ModelSpec spec;
            try (Classifier c = artifact.load(SpecResolver.Partial.empty("benchmark"), false)) {
              spec = c.spec();
            }
            PgdSettings pgd = PgdSettings.defaults(spec.input()).withSeed(0);
            ExecutorModel holder = ExecutorModel.broadcast(jsc, artifact, spec);
            Path checkpoint = Files.createTempDirectory("lethe-stage-a-").resolve("adversarial");
            partitions = partitionsGiven > 0 ? partitionsGiven : jsc.defaultParallelism();
            start = System.nanoTime();
            examples =
                DistributedStages.adversarial(
                    spark, holder, forget, pgd, partitions, 256, checkpoint.toString());
            holder.release();
          }
          parts = totals.accumulators();
          metrics = totals.taskMetrics();
          long tasks = parts.getOrDefault(DistributedStages.ADVERSARIAL_TASKS, 0L);
          if (tasks > 0) {
            threads =
                (int) (parts.getOrDefault(DistributedStages.ADVERSARIAL_TORCH_THREADS, 0L) / tasks);
          }
        } finally {
          spark.stop();
        }
      } catch (Exception e) {
        throw new IllegalStateException("Cannot run stage A in mode " + mode + ": " + e, e);
      } finally {
        if (cluster != null) {
          cluster.close();
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    ObjectNode line = new ObjectMapper().createObjectNode();
    line.put("benchmark", "stage-a");
    line.put("mode", mode);
    line.put("model", model.getFileName().toString());
    line.put("k", k);
    line.put("examples", examples.size());
    line.put("seconds", Math.round(seconds * 100) / 100.0);
    line.put("examples_per_second", Math.round(examples.size() / seconds * 100) / 100.0);
    line.put("torch_threads_per_task", threads);
    if (executors > 0) {
      line.put("executors", executors);
    }
    if (partitions > 0) {
      line.put("partitions", partitions);
    }
    if (!parts.isEmpty()) {
      ObjectNode task = line.putObject("task_ms");
      task.put("model", parts.getOrDefault(DistributedStages.ADVERSARIAL_MODEL_MS, 0L));
      task.put("pgd", parts.getOrDefault(DistributedStages.ADVERSARIAL_PGD_MS, 0L));
      task.put("write", parts.getOrDefault(DistributedStages.ADVERSARIAL_WRITE_MS, 0L));
      task.put("tasks", parts.getOrDefault(DistributedStages.ADVERSARIAL_TASKS, 0L));
      ObjectNode spark = line.putObject("spark_task_metrics_ms");
      metrics.forEach(spark::put);
    }
    line.put("cores", Runtime.getRuntime().availableProcessors());
    line.put("attack_success", PgdAttack.successRate(examples));
    String json = line.toString();
    System.out.println(json);
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(
        out,
        json + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }
}
