package dev.lethe.job.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lethe.data.ImageEncoder;
import dev.lethe.data.ImageFolderReader;
import dev.lethe.data.ParquetSampleWriter;
import dev.lethe.data.Sample;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import dev.lethe.job.SparkTestBase;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code lethe evaluate} on the digits fixtures, stored as IDX, as a Parquet file (lethe-common's
 * writer), as a Parquet directory (Spark's writer) and as an image folder: the distributed accuracy
 * equals the single-JVM {@link Classifier#accuracy} exactly, on 1 and on 3 partitions.
 */
class EvaluateCommandTest extends SparkTestBase {

  @TempDir static Path tmp;

  private static List<Sample> samples;
  private static long expectedCorrect;
  private static double expectedAccuracy;
  private static Path parquetFile;
  private static Path parquetDir;
  private static Path folder;

  @BeforeAll
  static void fixtures() throws Exception {
    samples = JobFixtures.testSamples();
    try (Classifier cnn = Classifier.load(JobFixtures.cnn(), SpecResolver.Partial.empty("test"))) {
      expectedAccuracy = cnn.accuracy(samples, 64);
    }
    expectedCorrect = Math.round(expectedAccuracy * samples.size());

    parquetFile = tmp.resolve("digits-test.parquet");
    ParquetSampleWriter.write(
        new org.apache.hadoop.fs.Path(parquetFile.toUri()), new Configuration(), samples);

    List<Row> rows = new ArrayList<>();
    for (Sample s : samples) {
      rows.add(RowFactory.create(s.id(), s.label(), ImageEncoder.png(s)));
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.StringType)
            .add("label", DataTypes.IntegerType)
            .add("image", DataTypes.BinaryType);
    parquetDir = tmp.resolve("digits-test-spark");
    spark.createDataFrame(rows, schema).repartition(3).write().parquet(parquetDir.toString());

    folder = JobFixtures.writeImageFolder(samples, tmp.resolve("digits-test-folder"));
  }

  static Stream<Arguments> inputs() {
    List<Arguments> out = new ArrayList<>();
    for (int partitions : new int[] {1, 3}) {
      out.add(Arguments.of("idx", partitions));
      out.add(Arguments.of("parquet-file", partitions));
      out.add(Arguments.of("parquet-dir", partitions));
      out.add(Arguments.of("folder", partitions));
    }
    return out.stream();
  }

  private static String dataOf(String input) {
    return switch (input) {
      case "idx" -> JobFixtures.testImages().toString();
      case "parquet-file" -> parquetFile.toUri().toString();
      case "parquet-dir" -> parquetDir.toString();
      case "folder" -> "file://" + folder;
      default -> throw new IllegalArgumentException(input);
    };
  }

  @ParameterizedTest(name = "{0} on {1} partitions")
  @MethodSource("inputs")
  void distributedAccuracyEqualsSingleJvmAccuracy(String input, int partitions) {
    CliRun run =
        JobFixtures.cli(
            "evaluate",
            "--model",
            JobFixtures.cnn().toString(),
            "--data",
            dataOf(input),
            "--partitions",
            Integer.toString(partitions),
            "--batch-size",
            "64");

    assertThat(run.exitCode()).as("exit code; stderr: %s", run.stderr()).isZero();
    JsonNode summary = run.summary();
    assertThat(summary.get("status").asText()).as("status").isEqualTo("ok");
    assertThat(summary.get("format").asText())
        .as("detected format")
        .isEqualTo(input.startsWith("parquet") ? "parquet" : input);
    assertThat(summary.get("samples").asLong()).as("samples").isEqualTo(samples.size());
    assertThat(summary.get("partitions").asInt()).as("partitions").isEqualTo(partitions);
    assertThat(summary.get("batch_size").asInt()).as("batch size").isEqualTo(64);
    assertThat(summary.get("correct").asLong()).as("correct").isEqualTo(expectedCorrect);
    assertThat(summary.get("accuracy").asDouble())
        .as("accuracy vs Classifier.accuracy")
        .isEqualTo(expectedAccuracy);
  }

  @Test
  void printsTheJsonSummaryAsTheLastLineOfStdout() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code;
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      code =
          dev.lethe.job.LetheMain.run(
              new String[] {
                "evaluate",
                "--model",
                JobFixtures.cnn().toString(),
                "--data",
                JobFixtures.testImages().toString(),
                "--labels",
                JobFixtures.testLabels().toString(),
                "--format",
                "idx"
              },
              out);
    }
    CliRun run = new CliRun(code, bytes.toString(StandardCharsets.UTF_8), "");

    assertThat(code).as("exit code").isZero();
    JsonNode summary = run.summary();
    assertThat(summary.fieldNames())
        .toIterable()
        .as("summary fields")
        .contains("status", "model", "model_sha256", "samples", "accuracy", "seconds", "device");
    assertThat(summary.get("model").asText()).as("model").isEqualTo(JobFixtures.cnn().toString());
    assertThat(summary.get("model_sha256").asText())
        .as("sha256 of the model file (the sidecar records it)")
        .isEqualTo("dedcdc1d1fc25e89879dc27a0a1c94749e4b7651df33eba77db905c1afd6596b");
    assertThat(summary.get("device").asText()).as("device").isEqualTo("cpu()");
    assertThat(summary.get("batch_size").asInt())
        .as("batch size from spark.lethe.batchSize's default")
        .isEqualTo(256);
    assertThat(summary.get("seconds").asDouble()).as("seconds").isPositive();
    assertThat(summary.get("accuracy").asDouble()).as("accuracy").isEqualTo(expectedAccuracy);
  }

  @Test
  void limitEvaluatesTheFirstSamplesOfIdx() throws Exception {
    CliRun run =
        JobFixtures.cli(
            "evaluate",
            "--model",
            JobFixtures.cnn().toString(),
            "--data",
            JobFixtures.testImages().toString(),
            "--limit",
            "100");

    double expected;
    try (Classifier cnn = Classifier.load(JobFixtures.cnn(), SpecResolver.Partial.empty("test"))) {
      expected = cnn.accuracy(samples.subList(0, 100), 64);
    }
    assertThat(run.exitCode()).as("exit code; stderr: %s", run.stderr()).isZero();
    assertThat(run.summary().get("samples").asLong()).as("samples").isEqualTo(100);
    assertThat(run.summary().get("accuracy").asDouble()).as("accuracy").isEqualTo(expected);
  }

  @Test
  void limitEvaluatesTheFirstImagesOfAFolderById() throws Exception {
    CliRun run =
        JobFixtures.cli(
            "evaluate",
            "--model",
            JobFixtures.cnn().toString(),
            "--data",
            folder.toString(),
            "--limit",
            "77",
            "--partitions",
            "2");

    List<Sample> first77 = ImageFolderReader.read(folder, List.of()).subList(0, 77);
    double expected;
    try (Classifier cnn = Classifier.load(JobFixtures.cnn(), SpecResolver.Partial.empty("test"))) {
      expected = cnn.accuracy(first77, 64);
    }
    assertThat(run.exitCode()).as("exit code; stderr: %s", run.stderr()).isZero();
    assertThat(run.summary().get("samples").asLong()).as("samples").isEqualTo(77);
    assertThat(run.summary().get("accuracy").asDouble()).as("accuracy").isEqualTo(expected);
  }

  @Test
  void modelWithoutSidecarTakesItsInputShapeFromTheData() throws Exception {
    double expected;
    try (Classifier mlp =
        Classifier.load(
            JobFixtures.mlp(),
            SpecResolver.Partial.empty("test").withInput(samples.get(0).shape()))) {
      expected = mlp.accuracy(samples, 64);
    }

    CliRun inferred =
        JobFixtures.cli(
            "evaluate",
            "--model",
            JobFixtures.mlp().toString(),
            "--data",
            JobFixtures.testImages().toString());
    CliRun given =
        JobFixtures.cli(
            "evaluate",
            "--model",
            JobFixtures.mlp().toString(),
            "--data",
            parquetFile.toString(),
            "--input-shape",
            "1,8,8");

    assertThat(inferred.exitCode()).as("exit code; stderr: %s", inferred.stderr()).isZero();
    assertThat(inferred.summary().get("accuracy").asDouble())
        .as("accuracy with the shape from the data")
        .isEqualTo(expected);
    assertThat(given.exitCode()).as("exit code; stderr: %s", given.stderr()).isZero();
    assertThat(given.summary().get("accuracy").asDouble())
        .as("accuracy with --input-shape")
        .isEqualTo(expected);
  }
}
