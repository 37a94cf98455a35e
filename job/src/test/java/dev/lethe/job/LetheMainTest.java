package dev.lethe.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.data.ImageEncoder;
import dev.lethe.data.ParquetSampleWriter;
import dev.lethe.data.Sample;
import dev.lethe.job.JobFixtures.CliRun;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.TuningKey;
import dev.lethe.unlearn.TuningTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's help, exit codes and messages for bad options and bad inputs. */
class LetheMainTest extends SparkTestBase {

  @TempDir Path tmp;

  private static String cnn() {
    return JobFixtures.cnn().toString();
  }

  private static String digits() {
    return JobFixtures.testImages().toString();
  }

  @Test
  void helpListsEveryOptionWithItsDefault() {
    CliRun top = JobFixtures.cli("--help");
    CliRun evaluate = JobFixtures.cli("evaluate", "--help");

    assertThat(top.exitCode()).as("exit code of --help").isZero();
    assertThat(evaluate.exitCode()).as("exit code of evaluate --help").isZero();
    for (String option :
        List.of(
            "--model URI",
            "--data URI",
            "--format FMT",
            "--labels URI",
            "--input-shape C,H,W",
            "--class-names",
            "--batch-size N",
            "--partitions N",
            "--limit N")) {
      assertThat(top.stdout()).as("top-level help lists %s", option).contains(option);
      assertThat(evaluate.stdout()).as("evaluate help lists %s", option).contains(option);
    }
    assertThat(evaluate.stdout())
        .as("defaults in the help")
        .contains("(default: auto)")
        .contains("(default: 256 (spark.lethe.batchSize))")
        .contains("(default: Spark's default parallelism)")
        .contains("(default: all)")
        .contains("spark.lethe.batchSize");
    assertThat(evaluate.stdout().lines().filter(l -> l.contains("--model")))
        .as("required options say so")
        .allMatch(l -> l.contains("(required)"));
    for (TuningKey<?> key : TuningTable.keys()) {
      assertThat(top.stdout())
          .as("help describes tuning key %s from lethe-common's table", key.name())
          .contains("  " + key.describe(TuningTable.Preset.LETHE, Goal.MISCLASSIFY));
    }
    assertThat(top.stdout())
        .as("help gives goal unseen's own default where it differs")
        .contains("(goal unseen: 0.0)");
  }

  @Test
  void unknownOptionExitsWith2NamingIt() {
    CliRun run = JobFixtures.cli("evaluate", "--model", cnn(), "--data", digits(), "--bogus", "1");

    assertThat(run.exitCode()).as("exit code").isEqualTo(2);
    assertThat(run.stderr())
        .as("message")
        .startsWith("Cannot run evaluate: unknown option --bogus; the options are --model, --data");
    assertThat(run.summary().get("status").asText()).as("status").isEqualTo("failed");
    assertThat(run.summary().get("exit_code").asInt()).as("exit code in JSON").isEqualTo(2);
    assertThat(run.summary().get("error").asText()).as("error in JSON").contains("--bogus");
  }

  @Test
  void badValueExitsWith2NamingTheOption() {
    CliRun batch =
        JobFixtures.cli("evaluate", "--model", cnn(), "--data", digits(), "--batch-size", "zero");
    CliRun shape =
        JobFixtures.cli("evaluate", "--model", cnn(), "--data", digits(), "--input-shape", "8x8");
    CliRun format =
        JobFixtures.cli("evaluate", "--model", cnn(), "--data", digits(), "--format", "csv");

    assertThat(batch.exitCode()).as("exit code for --batch-size zero").isEqualTo(2);
    assertThat(batch.stderr())
        .as("message for --batch-size zero")
        .startsWith(
            "Cannot run evaluate: option --batch-size is 'zero'; give a whole number of 1 or more");
    assertThat(shape.exitCode()).as("exit code for --input-shape 8x8").isEqualTo(2);
    assertThat(shape.stderr()).as("message for --input-shape").contains("option --input-shape");
    assertThat(format.exitCode()).as("exit code for --format csv").isEqualTo(2);
    assertThat(format.stderr())
        .as("message for --format")
        .startsWith(
            "Cannot run evaluate: option --format is 'csv'; give one of auto, idx, folder, parquet");
  }

  @Test
  void missingRequiredOptionOrCommandExitsWith2() {
    CliRun noData = JobFixtures.cli("evaluate", "--model", cnn());
    CliRun noValue = JobFixtures.cli("evaluate", "--model", cnn(), "--data");
    CliRun noCommand = JobFixtures.cli();
    CliRun unknownCommand = JobFixtures.cli("forget", "--model", cnn());

    assertThat(noData.exitCode()).as("exit code without --data").isEqualTo(2);
    assertThat(noData.stderr())
        .as("message without --data")
        .startsWith("Cannot run evaluate: option --data is missing; give --data URI");
    assertThat(noValue.exitCode()).as("exit code for --data without value").isEqualTo(2);
    assertThat(noValue.stderr())
        .as("message for --data without value")
        .startsWith("Cannot run evaluate: option --data has no value; give URI after it");
    assertThat(noCommand.exitCode()).as("exit code without command").isEqualTo(2);
    assertThat(unknownCommand.exitCode()).as("exit code for an unknown command").isEqualTo(2);
    assertThat(unknownCommand.stderr())
        .as("message for an unknown command")
        .startsWith("Cannot run lethe: unknown command 'forget'; give one of evaluate");
  }

  @Test
  void missingModelExitsWith1NamingThePath() {
    Path missing = tmp.resolve("no-such-model.pt");

    CliRun run = JobFixtures.cli("evaluate", "--model", missing.toString(), "--data", digits());

    assertThat(run.exitCode()).as("exit code").isEqualTo(1);
    assertThat(run.stderr())
        .as("message")
        .startsWith(
            "Cannot read model "
                + missing
                + ": it does not exist; give the URI or path of a TorchScript .pt file");
    assertThat(run.stderr()).as("no stack trace for a bad input").doesNotContain("\tat ");
    assertThat(run.summary().get("exit_code").asInt()).as("exit code in JSON").isEqualTo(1);
  }

  /** file: URIs as other tools write them, spaces percent-encoded, name the files they encode. */
  @Test
  void percentEncodedFileUrisAreDecoded() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("dir with spaces"));
    Path model = Files.copy(JobFixtures.cnn(), dir.resolve("my model.pt"));
    Files.copy(
        JobFixtures.cnn().resolveSibling("digits-cnn-bn.lethe.json"),
        dir.resolve("my model.lethe.json"));
    String encoded = model.toUri().toString();
    assertThat(encoded).contains("%20");

    CliRun run = JobFixtures.cli("evaluate", "--model", encoded, "--data", digits());

    assertThat(run.exitCode()).as("stderr:\n%s", run.stderr()).isZero();
    assertThat(run.summary().get("accuracy").asDouble()).isGreaterThan(0.5);
    assertThat(LetheMain.decodedFileUris(new String[] {"--out=file:///a%20b/c", "s3a://b/k%20"}))
        .containsExactly("--out=file:///a b/c", "s3a://b/k%20");
  }

  @Test
  void modelThatIsNotTorchScriptExitsWith1NamingIt() throws Exception {
    Path bogus = tmp.resolve("bogus.pt");
    Files.writeString(bogus, "not a model");

    CliRun run =
        JobFixtures.cli(
            "evaluate", "--model", bogus.toString(), "--data", digits(), "--input-shape", "1,8,8");

    assertThat(run.exitCode()).as("exit code").isEqualTo(1);
    assertThat(run.stderr())
        .as("message names the model as given, not a temporary copy")
        .startsWith("Cannot load model " + bogus + ": not a TorchScript module");
  }

  @Test
  void missingOrCorruptDataExitsWith1NamingIt() throws Exception {
    Path missing = tmp.resolve("nothing-here");
    Path corrupt = tmp.resolve("broken-images-idx3-ubyte");
    Files.write(corrupt, new byte[] {0, 0, 8, 3, 0, 0});
    Files.write(tmp.resolve("broken-labels-idx1-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 0});

    CliRun absent = JobFixtures.cli("evaluate", "--model", cnn(), "--data", missing.toString());
    CliRun truncated = JobFixtures.cli("evaluate", "--model", cnn(), "--data", corrupt.toString());

    assertThat(absent.exitCode()).as("exit code for missing data").isEqualTo(1);
    assertThat(absent.stderr())
        .as("message for missing data")
        .startsWith("Cannot read data " + missing + ": it does not exist; check the path");
    assertThat(truncated.exitCode()).as("exit code for a corrupt IDX file").isEqualTo(1);
    assertThat(truncated.stderr())
        .as("message for a corrupt IDX file")
        .startsWith("Cannot read IDX file " + corrupt + ": it ends inside the header");
  }

  @Test
  void corruptImageInParquetExitsWith1NamingTheRow() throws Exception {
    Path table = tmp.resolve("bad.parquet");
    List<Sample> samples = JobFixtures.testSamples().subList(0, 20);
    try (ParquetSampleWriter writer =
        ParquetSampleWriter.create(
            new org.apache.hadoop.fs.Path(table.toUri()), new Configuration())) {
      for (Sample s : samples) {
        writer.write(s);
      }
      writer.write("broken/1", 3, "not an image".getBytes(StandardCharsets.UTF_8));
    }

    CliRun run = JobFixtures.cli("evaluate", "--model", cnn(), "--data", table.toString());

    assertThat(run.exitCode()).as("exit code").isEqualTo(1);
    assertThat(run.stderr())
        .as("message from inside the failed Spark task")
        .startsWith("Cannot read Parquet input " + table + ": the image of row broken/1");
  }

  @Test
  void labelOutsideTheModelsClassesExitsWith1NamingTheSample() throws Exception {
    Path table = tmp.resolve("labels.parquet");
    Sample sample = JobFixtures.testSamples().get(0);
    try (ParquetSampleWriter writer =
        ParquetSampleWriter.create(
            new org.apache.hadoop.fs.Path(table.toUri()), new Configuration())) {
      writer.write("odd/0", 42, ImageEncoder.png(sample));
    }

    CliRun run = JobFixtures.cli("evaluate", "--model", cnn(), "--data", table.toString());

    assertThat(run.exitCode()).as("exit code").isEqualTo(1);
    assertThat(run.stderr())
        .as("message")
        .startsWith(
            "Cannot evaluate sample odd/0: its label 42 is not a class of model digits-cnn-bn.pt"
                + " (0..9)");
  }

  @Test
  void inputShapeThatContradictsTheSidecarExitsWith1NamingBoth() {
    CliRun run =
        JobFixtures.cli(
            "evaluate", "--model", cnn(), "--data", digits(), "--input-shape", "1,28,28");

    assertThat(run.exitCode()).as("exit code").isEqualTo(1);
    assertThat(run.stderr())
        .as("message")
        .startsWith(
            "Cannot resolve the model's input shape: sidecar "
                + JobFixtures.DIR.resolve("digits-cnn-bn.lethe.json")
                + " says 1x8x8 but option --input-shape says 1x28x28");
  }

  @Test
  void folderWithNamedClassesNeedsClassNames() throws Exception {
    Path root = tmp.resolve("named");
    JobFixtures.writeImageFolder(JobFixtures.testSamples().subList(0, 5), root);
    Files.move(root.resolve("0"), root.resolve("zero"));

    CliRun run =
        JobFixtures.cli(
            "evaluate",
            "--model",
            JobFixtures.mlp().toString(),
            "--data",
            root.toString(),
            "--input-shape",
            "1,8,8");

    assertThat(run.exitCode()).as("exit code").isEqualTo(1);
    assertThat(run.stderr())
        .as("message")
        .startsWith(
            "Cannot label the images in "
                + root
                + ": class folder [\"zero\"] is not a class index");
    assertThat(run.stderr().lines().findFirst().orElseThrow())
        .as("the library's setting, spelt as the command's option")
        .contains("name0,name1,... (option --class-names)")
        .doesNotContain("(setting: ");
  }

  @Test
  void unlearnOnAFolderWithNamedClassesAdvisesItsOwnClassNamesOption() throws Exception {
    Path root = tmp.resolve("named-forget");
    JobFixtures.writeImageFolder(JobFixtures.testSamples().subList(0, 5), root);
    Files.move(root.resolve("0"), root.resolve("zero"));

    CliRun run =
        JobFixtures.cli(
            "unlearn",
            "--model",
            JobFixtures.mlp().toString(),
            "--forget",
            root.toString(),
            "--out",
            tmp.resolve("named-out").toString(),
            "--dry-run");

    assertThat(run.exitCode()).as("exit code").isEqualTo(1);
    assertThat(run.stderr().lines().findFirst().orElseThrow())
        .as("the advice names an option unlearn has")
        .startsWith("Cannot label the images in " + root)
        .contains("name0,name1,... (option --class-names)")
        .doesNotContain("(setting: ");
  }
}
