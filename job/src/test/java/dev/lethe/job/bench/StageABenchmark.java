package dev.lethe.job.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lethe.attack.AdversarialExample;
import dev.lethe.attack.PgdAttack;
import dev.lethe.attack.PgdSettings;
import dev.lethe.data.IdxReader;
import dev.lethe.data.Sample;
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
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Stage A's throughput (adversarial examples per second) in one configuration per JVM: {@code
 * plain} (PgdAttack in this JVM, no Spark), or a Spark master such as {@code local[1]} or {@code
 * local[2]} (DistributedStages.adversarial with its Parquet checkpoint, as the job runs it). One
 * JVM per configuration, because libtorch's thread pool is sized once per JVM. Appends one JSON
 * line. deploy/bin/bench-stage-a runs the three configurations; docs/BENCHMARKS.md has the numbers.
 *
 * <pre>
 * StageABenchmark --mode local[2] --model M.pt --images train-images-idx3-ubyte.gz --k 8 --out F
 * </pre>
 */
public final class StageABenchmark {

  private StageABenchmark() {}

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
    Path out = Path.of(a.getOrDefault("out", "target/stage-a-benchmark.jsonl"));
    List<Sample> train = IdxReader.read(images, labels);
    List<Sample> forget = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      forget.add(train.get((int) ((i * 7919L) % train.size())));
    }

    long start;
    List<AdversarialExample> examples;
    int threads;
    if (mode.equals("plain")) {
      threads = Runtime.getRuntime().availableProcessors();
      try (Classifier c = Classifier.load(model, SpecResolver.Partial.empty("benchmark"))) {
        PgdSettings pgd = PgdSettings.defaults(c.spec().input()).withSeed(0);
        start = System.nanoTime();
        examples = new PgdAttack(c, pgd).generate(forget, 256);
      }
    } else {
      SparkConf conf =
          new SparkConf()
              .setMaster(mode)
              .setAppName("lethe-stage-a-benchmark")
              .set("spark.ui.enabled", "false")
              .set("spark.driver.host", "127.0.0.1");
      threads = TorchThreads.configure(conf);
      SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
      try {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        try (ModelArtifact artifact =
            ModelArtifact.fetch(model.toString(), spark.sparkContext().hadoopConfiguration())) {
          ModelSpec spec;
          try (Classifier c = artifact.load(SpecResolver.Partial.empty("benchmark"), false)) {
            spec = c.spec();
          }
          PgdSettings pgd = PgdSettings.defaults(spec.input()).withSeed(0);
          ExecutorModel holder = ExecutorModel.broadcast(jsc, artifact, spec);
          Path checkpoint = Files.createTempDirectory("lethe-stage-a-").resolve("adversarial");
          start = System.nanoTime();
          examples =
              DistributedStages.adversarial(
                  spark, holder, forget, pgd, jsc.defaultParallelism(), 256, checkpoint.toString());
          holder.release();
        }
      } finally {
        spark.stop();
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
