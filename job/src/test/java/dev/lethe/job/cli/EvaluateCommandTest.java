package dev.lethe.job.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lethe.data.ImageEncoder;
import dev.lethe.data.ImageFolderReader;
import dev.lethe.data.ImageShape;
import dev.lethe.data.ParquetSampleWriter;
import dev.lethe.data.Resize;
import dev.lethe.data.Sample;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import dev.lethe.job.LoggedCli;
import dev.lethe.job.SparkTestBase;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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

  /** Training metadata another tool wrote next to a model, under the name Lethe once used. */
  private static final String FOREIGN_JSON =
      "{\"epochs\": 20, \"lr\": 0.01, \"input\": {\"shape\": [1, 8, 8]}, \"classes\": 10}";

  private static double mlpAccuracy() throws Exception {
    try (Classifier mlp =
        Classifier.load(
            JobFixtures.mlp(),
            SpecResolver.Partial.empty("test").withInput(samples.get(0).shape()))) {
      return mlp.accuracy(samples, 64);
    }
  }

  private static List<String> lines(String stderr, String containing) {
    return stderr.lines().filter(l -> l.contains(containing)).toList();
  }

  @Test
  void foreignModelJsonIsIgnoredWithOneLineAndTheSpecIsInferred() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("foreign-json"));
    Path model = Files.copy(JobFixtures.mlp(), dir.resolve("plain.pt"));
    Files.writeString(dir.resolve("plain.json"), FOREIGN_JSON);

    CliRun run =
        LoggedCli.run(
            "evaluate", "--model", model.toString(), "--data", JobFixtures.testImages().toString());

    assertThat(run.exitCode()).as("exit code; stderr: %s", run.stderr()).isZero();
    assertThat(run.summary().get("accuracy").asDouble())
        .as("accuracy as without any sidecar")
        .isEqualTo(mlpAccuracy());
    assertThat(lines(run.stderr(), "plain.json"))
        .as("what the run says about plain.json")
        .singleElement()
        .asString()
        .endsWith(
            "ignoring plain.json next to the model: not a Lethe sidecar (keys Lethe does not"
                + " write: epochs, lr; keys not of Lethe's type: input, classes); Lethe reads"
                + " plain.lethe.json");
    assertThat(run.stderr())
        .as("the assumptions, each with where it came from")
        .contains(
            "input shape 1x8x8 (from data " + JobFixtures.testImages() + ")",
            "normalisation none (inputs used as they are, in [0,1])",
            "10 classes (from a probe forward)",
            "class names none, classes numbered 0..9");
  }

  @Test
  void oldSidecarNameIsReadWithOneDeprecationLine() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("old-name"));
    Path model = Files.copy(JobFixtures.cnn(), dir.resolve("m.pt"));
    Files.copy(JobFixtures.DIR.resolve("digits-cnn-bn.lethe.json"), dir.resolve("m.json"));

    CliRun run =
        LoggedCli.run(
            "evaluate", "--model", model.toString(), "--data", JobFixtures.testImages().toString());

    assertThat(run.exitCode()).as("exit code; stderr: %s", run.stderr()).isZero();
    assertThat(run.summary().get("accuracy").asDouble())
        .as("accuracy with the old sidecar's normalisation")
        .isEqualTo(expectedAccuracy);
    assertThat(lines(run.stderr(), "old sidecar name"))
        .singleElement()
        .asString()
        .endsWith("m.json: reading Lethe's old sidecar name; rename it to m.lethe.json");
    assertThat(run.stderr())
        .contains("normalisation mean [0.3] std [0.4] (from sidecar " + dir.resolve("m.json"));
  }

  @Test
  void firstLinesSayWhatTheRunAssumedAndWhereFrom() {
    CliRun run =
        LoggedCli.run(
            "evaluate",
            "--model",
            JobFixtures.cnn().toString(),
            "--data",
            JobFixtures.testImages().toString());

    assertThat(run.exitCode()).as("exit code; stderr: %s", run.stderr()).isZero();
    String sidecar = "(from sidecar " + JobFixtures.DIR.resolve("digits-cnn-bn.lethe.json") + ")";
    assertThat(run.stderr())
        .contains(
            "input shape 1x8x8 " + sidecar,
            "normalisation mean [0.3] std [0.4] " + sidecar,
            "10 classes " + sidecar,
            "class names \"0\", \"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"8\", \"9\" "
                + sidecar);
    assertThat(run.stderr()).as("no notice about sidecar names").doesNotContain("sidecar name");
  }

  @Test
  void demoModelReadsClassFolderTShirtUnderscoreTopAsTShirtSlashTop() throws Exception {
    Path demo = JobFixtures.repo().resolve("deploy/models/fashion-resnet18-w16.pt");
    Path folder = tmp.resolve("fashion-folder");
    ImageShape shape = new ImageShape(1, 28, 28);
    int i = 0;
    for (String className : List.of("t-shirt_top", "trouser", "ankle boot")) {
      for (int k = 0; k < 2; k++, i++) {
        float[] pixels = new float[shape.size()];
        for (int p = 0; p < pixels.length; p++) {
          pixels[p] = ((p * 7 + i * 13) % 256) / 255f;
        }
        Path file = folder.resolve(className).resolve("img-" + i + ".png");
        Files.createDirectories(file.getParent());
        Files.write(file, ImageEncoder.png(new Sample("x" + i, 0, shape, pixels)));
      }
    }

    CliRun run = LoggedCli.run("evaluate", "--model", demo.toString(), "--data", folder.toString());

    assertThat(run.exitCode()).as("exit code; stderr: %s", run.stderr()).isZero();
    assertThat(run.summary().get("samples").asLong()).as("every image labelled").isEqualTo(6);
    assertThat(run.stderr()).contains("class names \"t-shirt/top\", \"trouser\"");
  }

  /**
   * A folder of grayscale digits whose first image is RGB: the input shape comes from the most
   * common shape of the first images, so the error names the odd image instead of declaring the
   * model's input 3x8x8 and blaming the model.
   */
  @Test
  void oneOddImageFirstInAFolderIsNamedNotObeyed() throws Exception {
    Path folder = tmp.resolve("odd-first");
    List<Sample> digits = JobFixtures.testSamples().subList(0, 20);
    JobFixtures.writeImageFolder(digits, folder);
    Path odd = folder.resolve("0").resolve("000-big.png");
    Files.createDirectories(odd.getParent());
    Files.write(odd, ImageEncoder.png(JobFixtures.enlarged(digits.get(0), 2)));

    CliRun run =
        LoggedCli.run(
            "evaluate", "--model", JobFixtures.mlp().toString(), "--data", folder.toString());

    assertThat(run.exitCode()).as("exit code; stderr: %s", run.stderr()).isEqualTo(1);
    assertThat(run.stderr()).contains("000-big.png").doesNotContain("Cannot run model");
  }

  @Test
  void largerImagesAreScoredThroughTheResizeTheUserDeclaresAndRefusedWithoutIt() throws Exception {
    // the 8x8 digits at 16x16 and 24x24, as a folder of a user's larger originals would hold them
    List<Sample> larger = new ArrayList<>();
    for (int i = 0; i < samples.size(); i++) {
      larger.add(JobFixtures.enlarged(samples.get(i), i % 2 == 0 ? 2 : 3));
    }
    Path folder = JobFixtures.writeImageFolder(larger, tmp.resolve("larger"));
    Resize resize = new Resize(8);
    double expected;
    try (Classifier cnn = Classifier.load(JobFixtures.cnn(), SpecResolver.Partial.empty("test"))) {
      expected = cnn.accuracy(larger.stream().map(s -> resize.apply(s, 8, 8)).toList(), 64);
    }

    CliRun refused =
        LoggedCli.run(
            "evaluate", "--model", JobFixtures.cnn().toString(), "--data", folder.toString());
    CliRun run =
        LoggedCli.run(
            "evaluate",
            "--model",
            JobFixtures.cnn().toString(),
            "--data",
            folder.toString(),
            "--resize",
            "8");

    assertThat(refused.exitCode()).as("exit code; stderr: %s", refused.stderr()).isEqualTo(1);
    assertThat(refused.summary().get("error").asText())
        .as("the refusal names the option that fixes it")
        .contains("(CxHxW) but the model expects 1x8x8", "--resize");
    assertThat(run.exitCode()).as("exit code; stderr: %s", run.stderr()).isZero();
    assertThat(run.summary().get("accuracy").asDouble())
        .as("the executors resize as PIL does, image by image")
        .isEqualTo(expected)
        .as("and the resized digits are the digits again")
        .isGreaterThan(expectedAccuracy - 0.1);
    assertThat(run.stderr())
        .contains(
            "images resized to a shorter side of 8 (bilinear, as PIL) and centre-cropped to 8x8"
                + " (from option --resize)");
  }

  @Test
  void stretchedImagesAreSquashedBackByAnExactResizeWhereTheShorterSideFormCropsThem()
      throws Exception {
    // the 8x8 digits stretched to 16x24: torchvision's Resize((8, 8)) gives the digits back, where
    // Resize(8) makes them 8x12 and the centre crop cuts two columns off each side (on the fixture:
    // 97.6 against 92.6 %)
    List<Sample> wide = samples.stream().map(s -> JobFixtures.stretched(s, 2, 3)).toList();
    Path folder = JobFixtures.writeImageFolder(wide, tmp.resolve("wide"));
    double exact;
    double shorter;
    try (Classifier cnn = Classifier.load(JobFixtures.cnn(), SpecResolver.Partial.empty("test"))) {
      exact = cnn.accuracy(wide.stream().map(s -> Resize.exact(8, 8).apply(s, 8, 8)).toList(), 64);
      shorter = cnn.accuracy(wide.stream().map(s -> new Resize(8).apply(s, 8, 8)).toList(), 64);
    }

    CliRun run =
        LoggedCli.run(
            "evaluate",
            "--model",
            JobFixtures.cnn().toString(),
            "--data",
            folder.toString(),
            "--resize",
            "8,8");

    assertThat(run.exitCode()).as("exit code; stderr: %s", run.stderr()).isZero();
    assertThat(run.summary().get("accuracy").asDouble())
        .as("the executors squash each image as PIL does")
        .isEqualTo(exact)
        .as("and the squashed digits are the digits again")
        .isGreaterThan(expectedAccuracy - 0.1)
        .as("better than the shorter-side form, which crops them")
        .isGreaterThan(shorter);
    assertThat(run.stderr())
        .contains(
            "images resized to 8x8 (bilinear, as PIL) and centre-cropped to 8x8 (from option"
                + " --resize)");
  }

  @Test
  void rgbCopiesOfTheDigitsScoreAsTheDigitsOnAGrayModel() throws Exception {
    Path folder = tmp.resolve("rgb-digits");
    JobFixtures.writeImageFolder(samples.stream().map(EvaluateCommandTest::rgb).toList(), folder);

    CliRun run =
        LoggedCli.run(
            "evaluate", "--model", JobFixtures.cnn().toString(), "--data", folder.toString());

    assertThat(run.exitCode()).as("exit code; stderr: %s", run.stderr()).isZero();
    assertThat(run.summary().get("accuracy").asDouble())
        .as("RGB images read as their luma (torchvision's Grayscale), here the gray digits")
        .isEqualTo(expectedAccuracy);
  }

  @Test
  void aGrayFolderRunsOnAnRgbModelWithoutSidecarAsTorchvisionReadsIt() throws Exception {
    Path model = JobFixtures.DIR.resolve("architectures/depthwise.pt");
    List<Sample> gray =
        samples.subList(0, 60).stream().map(s -> JobFixtures.enlarged(s, 2)).toList();
    ImageShape rgbShape = new ImageShape(3, 16, 16);
    double expected;
    try (Classifier depthwise =
        Classifier.load(model, SpecResolver.Partial.empty("test").withInput(rgbShape))) {
      expected = depthwise.accuracy(gray.stream().map(EvaluateCommandTest::rgb).toList(), 64);
    }
    Path folder = JobFixtures.writeImageFolder(gray, tmp.resolve("gray-16"));

    CliRun run =
        LoggedCli.run("evaluate", "--model", model.toString(), "--data", folder.toString());

    assertThat(run.exitCode()).as("exit code; stderr: %s", run.stderr()).isZero();
    assertThat(run.summary().get("accuracy").asDouble())
        .as("gray images read as RGB, gray repeated (PIL's convert(\"RGB\"))")
        .isEqualTo(expected);
    assertThat(run.stderr())
        .as("the shape it took, and why")
        .contains(
            "input shape 3x16x16 (from data "
                + folder
                + " (1x16x16 images converted to 3x16x16: the model does not run on 1x16x16))");
  }

  @Test
  void bmpAndTiffFoldersAreReadAndAWebpImageIsRefusedNotSkipped() throws Exception {
    Path folder = tmp.resolve("bmp-tiff");
    List<Sample> first = samples.subList(0, 100);
    for (int i = 0; i < first.size(); i++) {
      Sample s = first.get(i);
      String format = i % 2 == 0 ? "bmp" : "tiff";
      java.awt.image.BufferedImage image =
          javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(ImageEncoder.png(s)));
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      javax.imageio.ImageIO.write(image, format, bytes);
      Path file = folder.resolve(Integer.toString(s.label())).resolve(i + "." + format);
      Files.createDirectories(file.getParent());
      Files.write(file, bytes.toByteArray());
    }
    double expected;
    try (Classifier cnn = Classifier.load(JobFixtures.cnn(), SpecResolver.Partial.empty("test"))) {
      expected = cnn.accuracy(first, 64);
    }

    CliRun read =
        LoggedCli.run(
            "evaluate", "--model", JobFixtures.cnn().toString(), "--data", folder.toString());
    Files.write(folder.resolve("3").resolve("extra.webp"), new byte[] {'R', 'I', 'F', 'F'});
    CliRun refused =
        LoggedCli.run(
            "evaluate", "--model", JobFixtures.cnn().toString(), "--data", folder.toString());

    assertThat(read.exitCode()).as("exit code; stderr: %s", read.stderr()).isZero();
    assertThat(read.summary().get("samples").asInt()).as("every image read").isEqualTo(100);
    assertThat(read.summary().get("accuracy").asDouble()).isEqualTo(expected);
    assertThat(refused.exitCode()).as("exit code; stderr: %s", refused.stderr()).isEqualTo(1);
    assertThat(refused.stderr())
        .contains("1 image is in a format Lethe cannot decode", "e.g. 3/extra.webp");
  }

  /** A digit with its one channel repeated as R, G and B. */
  private static Sample rgb(Sample gray) {
    int plane = gray.pixels().length;
    float[] pixels = new float[3 * plane];
    for (int c = 0; c < 3; c++) {
      System.arraycopy(gray.pixels(), 0, pixels, c * plane, plane);
    }
    ImageShape shape = gray.shape();
    return new Sample(
        gray.id(), gray.label(), new ImageShape(3, shape.height(), shape.width()), pixels);
  }
}
