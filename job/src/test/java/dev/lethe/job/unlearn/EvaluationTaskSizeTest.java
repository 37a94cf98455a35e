package dev.lethe.job.unlearn;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lethe.data.ImageShape;
import dev.lethe.data.ParquetSampleWriter;
import dev.lethe.data.Sample;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import dev.lethe.job.LoggedCli;
import dev.lethe.job.SparkTestBase;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stage D reads the test set on the executors from storage: with a test set of thousands of images
 * no task carries the images (Spark's TaskSetManager warns of a task over 1000 KiB), and the
 * report's numbers are those of the single-JVM classifier on the same images. A test image that
 * does not fit the model is still refused before any stage, naming it.
 */
class EvaluationTaskSizeTest extends SparkTestBase {

  @TempDir static Path tmp;

  private static final int COPIES = 20;

  /** The 500 test digits {@code COPIES} times, with distinct ids. */
  private static List<Sample> manyTestSamples() {
    List<Sample> digits = JobFixtures.testSamples();
    List<Sample> many = new ArrayList<>();
    for (int c = 0; c < COPIES; c++) {
      for (Sample s : digits) {
        many.add(new Sample("copy" + c + "/" + s.id(), s.label(), s.shape(), s.pixels()));
      }
    }
    return many;
  }

  private static CliRun unlearn(Path test, Path out, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "unlearn",
                "--model",
                JobFixtures.cnn().toString(),
                "--forget",
                JobFixtures.trainImages().toString(),
                "--forget-ids",
                "digits/0,digits/37,digits/74,digits/111",
                "--test",
                test.toString(),
                "--out",
                out.toString(),
                "--preset",
                "lethe"));
    args.addAll(JobFixtures.QUICK_UNLEARN);
    args.addAll(List.of(extra));
    return LoggedCli.run(args.toArray(String[]::new));
  }

  @Test
  void aLargeTestSetTravelsInNoTaskAndKeepsTheReportedAccuracies() throws Exception {
    List<Sample> many = manyTestSamples();
    Path test = tmp.resolve("many-test.parquet");
    ParquetSampleWriter.write(
        new org.apache.hadoop.fs.Path(test.toUri()), new Configuration(), many);

    // all 10,000 measured: without this the run would hold 1,000 of them as its held-out sample
    CliRun run = unlearn(test, tmp.resolve("out"), "--held-out-from-test", "0");

    assertThat(run.exitCode()).as("exit code; stderr:\n%s", run.stderr()).isZero();
    assertThat(run.stderr())
        .as("no task of stage D carries the test images")
        .doesNotContain("very large size");
    JsonNode report = run.summary();
    assertThat(report.get("test").get("size").asInt()).isEqualTo(many.size());
    try (Classifier parent =
        Classifier.load(JobFixtures.cnn(), SpecResolver.Partial.empty("test"))) {
      assertThat(report.get("test").get("accuracy_before").asDouble())
          .as("the test accuracy of the original model, as one JVM measures it")
          .isEqualTo(parent.accuracy(many, 64));
    }
    Path published =
        tmp.resolve("out")
            .resolve("digits-cnn-bn")
            .resolve(report.get("version").asText())
            .resolve("model.pt");
    try (Classifier unlearned = Classifier.load(published, SpecResolver.Partial.empty("test"))) {
      assertThat(report.get("test").get("accuracy_after").asDouble())
          .as("the test accuracy of the unlearned model, as one JVM measures it")
          .isEqualTo(unlearned.accuracy(many, 64));
    }
  }

  @Test
  void aTestImageOfAnotherShapeIsRefusedBeforeAnyStageNamingIt() throws Exception {
    List<Sample> samples = new ArrayList<>(JobFixtures.testSamples().subList(0, 40));
    ImageShape wide = new ImageShape(1, 8, 9);
    samples.set(23, new Sample("odd/23", 3, wide, new float[wide.size()]));
    samples.set(31, new Sample("odd/31", 3, wide, new float[wide.size()]));
    Path test = tmp.resolve("odd-test.parquet");
    ParquetSampleWriter.write(
        new org.apache.hadoop.fs.Path(test.toUri()), new Configuration(), samples);

    CliRun run = unlearn(test, tmp.resolve("odd-out"));

    assertThat(run.exitCode()).as("stderr:\n%s", run.stderr()).isEqualTo(1);
    assertThat(run.summary().get("error").asText())
        .isEqualTo(
            "Cannot unlearn with test data "
                + test
                + ": sample odd/23 has shape 1x8x9 but the model takes 1x8x8; resize the images"
                + " to 8x8, declare the resize the model's pipeline applies (--resize, or"
                + " \"resize\" in its sidecar), or give the model's input shape");
    assertThat(tmp.resolve("odd-out")).doesNotExist();
  }
}
