package dev.lethe.job.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lethe.attack.AdversarialExample;
import dev.lethe.attack.PgdAttack;
import dev.lethe.attack.PgdSettings;
import dev.lethe.data.Sample;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import dev.lethe.job.SparkTestBase;
import dev.lethe.job.unlearn.AdversarialCheckpoint;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on a real standalone cluster: a master and two one-core workers as separate JVMs on
 * 127.0.0.1, started from a Spark home that deploy/bin/make-spark-home assembles from the Maven
 * jars, and {@code lethe unlearn} submitted with deploy/bin/lethe-submit (the driver in its own JVM
 * too). The executors in the workers' JVMs compute the same adversarial examples as the single-JVM
 * method, the run forgets, and stage D's numbers are those of the published model.
 */
class StandaloneClusterIT extends SparkTestBase {

  @TempDir static Path tmp;

  private static final int K = 6;

  @Test
  void unlearnOnAStandaloneClusterGivesTheSingleJvmResult() throws Exception {
    Path repo = JobFixtures.repo();
    Path sparkHome = StandaloneCluster.makeSparkHome(tmp.resolve("spark-home"));

    List<Sample> train = JobFixtures.trainSamples();
    List<Sample> forget = new ArrayList<>();
    for (int i = 0; i < K; i++) {
      forget.add(train.get(i * 53));
    }
    String ids = String.join(",", forget.stream().map(Sample::id).toList());
    Path out = tmp.resolve("out");
    Path work = tmp.resolve("work");

    try (StandaloneCluster cluster =
        StandaloneCluster.start(sparkHome, tmp.resolve("cluster"), 2)) {
      CliRun run =
          JobFixtures.process(
              List.of(
                  "bash",
                  repo.resolve("deploy/bin/lethe-submit").toString(),
                  "--master",
                  cluster.masterUrl(),
                  "--executor-memory",
                  "1g",
                  "--conf",
                  "spark.driver.host=127.0.0.1",
                  "--driver-java-options",
                  "-Dlog4j2.configurationFile=file:" + repo.resolve("conf/log4j2.properties"),
                  "--",
                  "unlearn",
                  "--model",
                  JobFixtures.cnn().toString(),
                  "--forget",
                  JobFixtures.trainImages().toString(),
                  "--forget-ids",
                  ids,
                  "--test",
                  JobFixtures.testImages().toString(),
                  "--out",
                  out.toString(),
                  "--work",
                  work.toString(),
                  "--keep-work",
                  "--preset",
                  "lethe",
                  "--seed",
                  "11",
                  "--partitions",
                  "2",
                  "--set",
                  "pgd.steps=20",
                  "--set",
                  "pgd.per-instance=8"),
              Map.of("SPARK_HOME", sparkHome.toString(), "SPARK_LOCAL_IP", "127.0.0.1"),
              Duration.ofMinutes(8));
      assertThat(run.exitCode()).as("lethe-submit; stderr:\n%s", run.stderr()).isZero();
      JsonNode report = run.summary();
      assertThat(report.get("status").asText()).isEqualTo("published");
      assertThat(report.get("forget").get("accuracy_after").asDouble()).isZero();

      // Stage A and D ran in executor JVMs started by both workers.
      for (Path workerDir : cluster.workerDirs()) {
        assertThat(executorLogs(workerDir))
            .as("executor logs under %s", workerDir)
            .anySatisfy(log -> assertThat(Files.readString(log)).contains("Loaded model"));
      }

      // The executors' examples (the kept Parquet checkpoint) equal the single-JVM PGD's.
      String version = report.get("version").asText();
      List<AdversarialExample> actual =
          AdversarialCheckpoint.read(
              spark, work.resolve(version).resolve("adversarial").toString(), forget);
      try (Classifier model =
          Classifier.load(JobFixtures.cnn(), SpecResolver.Partial.empty("test"))) {
        PgdSettings pgd =
            PgdSettings.defaults(model.spec().input())
                .withSteps(20)
                .withPerInstance(8)
                .withSeed(11);
        List<AdversarialExample> expected = new PgdAttack(model, pgd).generate(forget, 256);
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
          assertThat(actual.get(i).id()).isEqualTo(expected.get(i).id());
          assertThat(actual.get(i).target()).isEqualTo(expected.get(i).target());
          assertThat(actual.get(i).pixels())
              .containsExactly(expected.get(i).pixels(), within(1e-5f));
        }
      }

      // The published model gives the numbers stage D measured on the executors.
      Path dir = out.resolve("digits-cnn-bn").resolve(version);
      try (Classifier published =
          Classifier.load(dir.resolve("model.pt"), SpecResolver.Partial.empty("test"))) {
        assertThat(published.accuracy(forget, 64)).isZero();
        assertThat(report.get("test").get("accuracy_after").asDouble())
            .isCloseTo(published.accuracy(JobFixtures.testSamples(), 64), within(1e-6));
      }
      assertThat(dir.resolve("manifest.json")).isRegularFile();
    }
  }

  private static List<Path> executorLogs(Path workerDir) throws Exception {
    try (Stream<Path> files = Files.walk(workerDir)) {
      return files.filter(p -> p.getFileName().toString().equals("stderr")).toList();
    }
  }
}
