package dev.lethe.job.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.data.ImageEncoder;
import dev.lethe.data.ParquetSampleWriter;
import dev.lethe.data.Sample;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bad input that only an executor finds (a truncated PNG among good ones) reaches the user as one
 * "Cannot ..." line naming the file (or the Parquet row), as deploy/bin/lethe runs the job: its own
 * JVM, logging by conf/log4j2.properties. Spark's task-failure reports (Executor's ERROR with the
 * exception, TaskSetManager's "Lost task" WARN with the trace as text) go to the task-failure log
 * file the configuration names, not to standard error. The test classpath's log4j2-test.properties
 * is not what a user gets, so the job runs in a separate JVM here.
 */
class TaskFailureOutputIT {

  @TempDir Path tmp;

  @Test
  void aTruncatedImageInAFolderIsOneCleanLineAndItsTraceIsInTheTaskLog() throws Exception {
    List<Sample> samples = JobFixtures.testSamples().subList(0, 40);
    Path folder = JobFixtures.writeImageFolder(samples, tmp.resolve("digits"));
    Sample bad = samples.get(17);
    Path png = folder.resolve(bad.label() + "/" + bad.id().replace('/', '-') + ".png");
    byte[] bytes = Files.readAllBytes(png);
    Files.write(png, Arrays.copyOf(bytes, bytes.length / 2));
    Path logs = tmp.resolve("logs");

    CliRun run =
        lethe(
            logs,
            "evaluate",
            "--model",
            JobFixtures.cnn().toString(),
            "--data",
            folder.toString(),
            "--partitions",
            "2");

    String relative = bad.label() + "/" + bad.id().replace('/', '-') + ".png";
    assertOneCleanLine(
        run,
        logs,
        "Cannot read image folder "
            + folder
            + ": Cannot decode image "
            + relative
            + ": its "
            + bytes.length / 2
            + " bytes are corrupt (Error reading PNG image data); give an intact PNG or JPEG"
            + " image");
  }

  @Test
  void aParquetRowWithBadImageBytesIsOneCleanLineForUnlearn() throws Exception {
    List<Sample> samples = JobFixtures.testSamples().subList(0, 12);
    Path forget = tmp.resolve("forget.parquet");
    try (ParquetSampleWriter writer =
        ParquetSampleWriter.create(
            new org.apache.hadoop.fs.Path(forget.toUri()), new Configuration())) {
      for (Sample sample : samples) {
        byte[] png = ImageEncoder.png(sample);
        writer.write(
            sample.id(),
            sample.label(),
            sample.id().equals("digits/5") ? Arrays.copyOf(png, 20) : png);
      }
    }
    Path logs = tmp.resolve("logs");

    CliRun run =
        lethe(
            logs,
            "unlearn",
            "--model",
            JobFixtures.cnn().toString(),
            "--forget",
            forget.toString(),
            "--test",
            JobFixtures.testImages().toString(),
            "--out",
            tmp.resolve("out").toString(),
            "--partitions",
            "2");

    assertOneCleanLine(
        run,
        logs,
        "Cannot read Parquet input "
            + forget
            + ": the image of row digits/5 does not decode (Cannot decode image digits/5: its 20"
            + " bytes are corrupt (I/O error reading PNG header!); give an intact PNG or JPEG"
            + " image)");
  }

  /**
   * The run failed (exit 1) and said why in exactly {@code message} on stderr, with no stack frame
   * and no Spark task report there; the task-failure log under {@code logs} has the trace.
   */
  private static void assertOneCleanLine(CliRun run, Path logs, String message) throws Exception {
    String stderr = run.stderr();
    assertThat(run.exitCode()).as("exit code; stderr:\n%s", stderr).isOne();
    assertThat(stderr.lines().filter(l -> l.contains("Cannot ")))
        .as("the failure's lines on stderr:\n%s", stderr)
        .containsExactly(message);
    assertThat(stderr.lines())
        .as("stderr has no stack frames and no executor error:\n%s", stderr)
        .noneMatch(l -> l.startsWith("\tat ") || l.startsWith("Caused by: "))
        .noneMatch(l -> l.contains("ERROR Executor") || l.contains("Lost task"))
        .noneMatch(l -> l.contains("aborting job"));
    assertThat(run.summary().get("status").asText()).as("summary status").isEqualTo("failed");
    assertThat(run.summary().get("error").asText()).as("summary error").isEqualTo(message);

    Path taskLog = logs.resolve("lethe-task-failures.log");
    assertThat(taskLog).as("the task-failure log under LETHE_LOG_DIR").isRegularFile();
    assertThat(Files.readString(taskLog))
        .as("the task-failure log keeps the executor's trace")
        .contains("ERROR Executor: Exception in task")
        .contains("WARN TaskSetManager: Lost task")
        .contains("\tat dev.lethe.data.ImageDecoder.");
  }

  /**
   * Runs LetheMain as deploy/bin/lethe does (Spark's JVM flags, conf/log4j2.properties), on the
   * test classpath, with LETHE_LOG_DIR set to {@code logs}.
   */
  static CliRun lethe(Path logs, String... args) throws Exception {
    return lethe(logs, List.of(), args);
  }

  /** {@link #lethe(Path, String...)} with more JVM options (after Spark's flags). */
  static CliRun lethe(Path logs, List<String> jvmOptions, String... args) throws Exception {
    Path repo = JobFixtures.repo();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(sparkJvmFlags(repo));
    command.addAll(jvmOptions);
    command.addAll(
        List.of(
            "-Xmx1g",
            "-Dai.djl.offline=true",
            "-Dai.djl.pytorch.num_threads=1",
            "-Dspark.master=local[2]",
            "-Dspark.ui.enabled=false",
            "-Dlog4j2.configurationFile=" + repo.resolve("conf/log4j2.properties"),
            "-cp",
            System.getProperty("java.class.path"),
            "dev.lethe.job.LetheMain"));
    command.addAll(List.of(args));
    return JobFixtures.process(
        command,
        Map.of("SPARK_LOCAL_IP", "127.0.0.1", "LETHE_LOG_DIR", logs.toString()),
        Duration.ofMinutes(3));
  }

  /** The flags deploy/bin/lib/spark-jvm-flags.sh gives every Spark JVM it starts. */
  private static List<String> sparkJvmFlags(Path repo) throws Exception {
    List<String> flags = new ArrayList<>();
    for (String line : Files.readAllLines(repo.resolve("deploy/bin/lib/spark-jvm-flags.sh"))) {
      String flag = line.strip();
      if (flag.startsWith("-")) {
        flags.add(flag);
      }
    }
    assertThat(flags).as("flags in spark-jvm-flags.sh").isNotEmpty();
    return flags;
  }
}
