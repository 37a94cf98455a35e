package dev.lethe.job.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lethe.attack.AdversarialExample;
import dev.lethe.data.Sample;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.SparkTestBase;
import dev.lethe.job.unlearn.AdversarialCheckpoint;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Executor JVMs die under a running job on a real standalone cluster (a master and two one-core
 * workers, separate JVMs): one is killed (SIGKILL) while it computes adversarial examples in stage
 * A, another while stage D evaluates the unlearned model. Spark re-runs the lost tasks on the
 * executors left and on the ones the workers start again. Stage A's output, the only executor
 * output the driver's fine-tune uses, equals an undisturbed run's bit for bit, and stage D's
 * numbers are those of the model published. (The two runs' published models are not compared by
 * hash: the fine-tune is chaotic enough that the rare run-to-run difference of libtorch's CPU
 * kernels on one machine can change it without any executor lost; one such run was seen in 4.)
 */
class ExecutorLossIT extends SparkTestBase {

  @TempDir static Path tmp;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int K = 6;

  @Test
  void executorsKilledInStagesAAndDChangeNeitherStageAsOutputNorStageDsNumbers() throws Exception {
    Path repo = JobFixtures.repo();
    Path sparkHome = StandaloneCluster.makeSparkHome(tmp.resolve("spark-home"));
    List<Sample> train = JobFixtures.trainSamples();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < K; i++) {
      ids.add(train.get(5 + i * 47).id());
    }

    try (StandaloneCluster cluster =
        StandaloneCluster.start(sparkHome, tmp.resolve("cluster"), 2)) {
      Submitted calm = submit(repo, sparkHome, cluster, ids, "calm");
      assertThat(calm.process.waitFor(8, TimeUnit.MINUTES)).as("undisturbed run ends").isTrue();
      JsonNode expected = calm.summary();
      assertThat(expected.get("status").asText()).as(calm.stderr()).isEqualTo("published");

      // The undisturbed run's executor logs stay in the workers' folders: skip them.
      List<Path> calmLogs = new ArrayList<>();
      for (Path workerDir : cluster.workerDirs()) {
        calmLogs.addAll(executorLogs(workerDir));
      }
      Submitted hit = submit(repo, sparkHome, cluster, ids, "hit");
      // Stage A: the first executor that loads the original model is computing PGD; kill it a
      // moment later, before the stage ends.
      Path inA = awaitExecutorLog(cluster, "Loaded model digits-cnn-bn", hit, calmLogs);
      Thread.sleep(1000);
      long killedInA = kill(inA);
      // Stage D: the first executor that loads the unlearned model is evaluating it.
      List<Path> skipInD = new ArrayList<>(calmLogs);
      skipInD.add(inA);
      Path inD = awaitExecutorLog(cluster, "Loaded model unlearned-", hit, skipInD);
      long killedInD = kill(inD);
      assertThat(hit.process.waitFor(8, TimeUnit.MINUTES)).as("disturbed run ends").isTrue();
      String driverLog = hit.stderr();
      assertThat(hit.process.exitValue()).as("driver log:\n%s", driverLog).isZero();
      JsonNode actual = hit.summary();

      // Both kills landed inside their stage: the driver lost the executors before the stage
      // ended.
      assertThat(killedInA).isPositive();
      assertThat(killedInD).isPositive();
      assertThat(position(driverLog, "Lost executor"))
          .as("the driver saw an executor lost during stage A:\n%s", driverLog)
          .isBetween(0, position(driverLog, "stage A: " + K + "/" + K));
      assertThat(lastPosition(driverLog, "Lost executor"))
          .as("and one during stage D")
          .isBetween(position(driverLog, "stage C: "), position(driverLog, "stage D: evaluated"));

      assertThat(actual.get("status").asText()).isEqualTo("published");
      assertThat(actual.get("forget").get("accuracy_after").asDouble()).isZero();

      // Stage A's output, the only executor output the fine-tune uses, is the undisturbed run's
      // bit for bit: the killed executor's partition was computed again, once.
      List<Sample> forget =
          ids.stream()
              .map(id -> train.stream().filter(s -> s.id().equals(id)).findFirst())
              .map(java.util.Optional::orElseThrow)
              .toList();
      List<AdversarialExample> calmExamples = checkpoint(expected, "calm", forget);
      List<AdversarialExample> hitExamples = checkpoint(actual, "hit", forget);
      assertThat(hitExamples).hasSize(K * 16).hasSameSizeAs(calmExamples);
      for (int i = 0; i < calmExamples.size(); i++) {
        assertThat(hitExamples.get(i).id()).isEqualTo(calmExamples.get(i).id());
        assertThat(hitExamples.get(i).target()).isEqualTo(calmExamples.get(i).target());
        assertThat(hitExamples.get(i).pixels()).containsExactly(calmExamples.get(i).pixels());
      }
      // Stage D's numbers, measured while an executor died, are the published model's own.
      Path published =
          tmp.resolve("out-hit/digits-cnn-bn")
              .resolve(actual.get("version").asText())
              .resolve("model.pt");
      try (Classifier model = Classifier.load(published, SpecResolver.Partial.empty("test"))) {
        assertThat(actual.get("forget").get("accuracy_after").asDouble())
            .isEqualTo(model.accuracy(forget, 64));
        assertThat(actual.get("test").get("accuracy_after").asDouble())
            .isCloseTo(model.accuracy(JobFixtures.testSamples(), 64), within(1e-6));
      }
      assertThat(actual.get("test").get("accuracy_before"))
          .as("the parent's test accuracy, measured in stage D")
          .isEqualTo(expected.get("test").get("accuracy_before"));
    }
  }

  /** The adversarial examples a run kept in its work folder. */
  private static List<AdversarialExample> checkpoint(
      JsonNode summary, String name, List<Sample> forget) {
    return AdversarialCheckpoint.read(
        spark,
        tmp.resolve("work-" + name)
            .resolve(summary.get("version").asText())
            .resolve("adversarial")
            .toString(),
        forget);
  }

  /** A lethe-submit run in progress, its output in files read as it goes. */
  private record Submitted(Process process, Path stdout, Path stderrFile) {

    String stderr() throws IOException {
      return Files.readString(stderrFile, StandardCharsets.UTF_8);
    }

    JsonNode summary() throws IOException {
      List<String> lines = Files.readAllLines(stdout, StandardCharsets.UTF_8);
      assertThat(lines).as("stdout; stderr:\n%s", stderr()).isNotEmpty();
      return JSON.readTree(lines.get(lines.size() - 1));
    }
  }

  private static Submitted submit(
      Path repo, Path sparkHome, StandaloneCluster cluster, List<String> ids, String name)
      throws IOException {
    List<String> command =
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
            "-Dlog4j2.configurationFile=file:" + driverLog4j(),
            "--",
            "unlearn",
            "--model",
            JobFixtures.cnn().toString(),
            "--forget",
            JobFixtures.trainImages().toString(),
            "--forget-ids",
            String.join(",", ids),
            "--test",
            JobFixtures.testImages().toString(),
            "--out",
            tmp.resolve("out-" + name).toString(),
            "--work",
            tmp.resolve("work-" + name).toString(),
            "--keep-work",
            "--preset",
            "lethe",
            "--seed",
            "5",
            "--partitions",
            "2",
            "--set",
            "pgd.steps=200",
            "--set",
            "pgd.per-instance=16");
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("SPARK_HOME", sparkHome.toString());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    // Kept after the test (under target/), so that a failure can be read run against run.
    Path logs = Files.createDirectories(Path.of("target", "executor-loss-it"));
    Path stdout = logs.resolve(name + ".out");
    Path stderr = logs.resolve(name + ".err");
    pb.redirectOutput(stdout.toFile());
    pb.redirectError(stderr.toFile());
    return new Submitted(pb.start(), stdout, stderr);
  }

  /**
   * The driver's logging: Lethe's progress lines and the scheduler's word on lost executors, on
   * stderr, whatever conf/log4j2.properties quiets.
   */
  private static Path driverLog4j() throws IOException {
    Path file = tmp.resolve("driver-log4j2.properties");
    Files.writeString(
        file,
        String.join(
            "\n",
            "rootLogger.level = warn",
            "rootLogger.appenderRef.stderr.ref = stderr",
            "appender.stderr.type = Console",
            "appender.stderr.name = stderr",
            "appender.stderr.target = SYSTEM_ERR",
            "appender.stderr.layout.type = PatternLayout",
            "appender.stderr.layout.pattern = %p %c{1}: %m%n",
            "logger.lethe.name = dev.lethe",
            "logger.lethe.level = info",
            "logger.scheduler.name = org.apache.spark.scheduler",
            "logger.scheduler.level = warn",
            ""));
    return file;
  }

  /**
   * Waits for an executor stderr (other than {@code skip}) of the running application that holds
   * {@code text}, and returns it.
   */
  private static Path awaitExecutorLog(
      StandaloneCluster cluster, String text, Submitted run, List<Path> skip) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(6);
    while (System.nanoTime() < deadline) {
      assertThat(run.process.isAlive())
          .as("the run ended before '%s' appeared; stderr:\n%s", text, run.stderr())
          .isTrue();
      for (Path workerDir : cluster.workerDirs()) {
        Optional<Path> log =
            executorLogs(workerDir).stream()
                .filter(p -> !skip.contains(p))
                .filter(p -> contains(p, text))
                .findFirst();
        if (log.isPresent()) {
          return log.get();
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no executor logged '" + text + "'");
  }

  /**
   * Kills (SIGKILL) the executor JVM that writes {@code stderr}: {@code
   * <worker>/<app-id>/<executor-id>/stderr}. Returns its pid.
   */
  private static long kill(Path stderr) {
    String executorId = stderr.getParent().getFileName().toString();
    String appId = stderr.getParent().getParent().getFileName().toString();
    ProcessHandle executor =
        ProcessHandle.allProcesses()
            .filter(
                p -> {
                  String cmd = p.info().commandLine().orElse("");
                  return cmd.contains("CoarseGrainedExecutorBackend")
                      && cmd.contains(appId)
                      && cmd.matches(".*--executor-id " + executorId + "( .*|$)");
                })
            .findFirst()
            .orElseThrow(() -> new AssertionError("no JVM for executor " + executorId));
    executor.destroyForcibly();
    executor.onExit().join();
    return executor.pid();
  }

  private static boolean contains(Path file, String text) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).contains(text);
    } catch (IOException e) {
      return false;
    }
  }

  private static List<Path> executorLogs(Path workerDir) throws IOException {
    if (!Files.isDirectory(workerDir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(workerDir)) {
      return files.filter(p -> p.getFileName().toString().equals("stderr")).sorted().toList();
    }
  }

  private static int position(String log, String text) {
    int at = log.indexOf(text);
    assertThat(at).as("'%s' in the driver log:\n%s", text, log).isNotNegative();
    return at;
  }

  private static int lastPosition(String log, String text) {
    return log.lastIndexOf(text);
  }
}
