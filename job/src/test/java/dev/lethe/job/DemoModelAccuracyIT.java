package dev.lethe.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lethe.job.JobFixtures.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The demo model (deploy/models/fashion-resnet18-w16.pt) evaluated by {@code lethe evaluate} in
 * local Spark on the full Fashion-MNIST test set (10,000 images) reaches the test accuracy that
 * PyTorch measured when training it (the sidecar's {@code test_accuracy}).
 *
 * <p>Data: {@code fashion-mnist/t10k-*.gz} under the system property {@code lethe.data}, else
 * {@code $LETHE_DATA}, else {@code <repo>/data}; deploy/fetch-data.sh puts it there. Missing data
 * fails the test: it is never skipped.
 */
class DemoModelAccuracyIT extends SparkTestBase {

  private static Path repo() {
    String given = System.getProperty("lethe.repo");
    return (given == null || given.isBlank() ? Path.of("..") : Path.of(given))
        .toAbsolutePath()
        .normalize();
  }

  private static Path dataDir() {
    String property = System.getProperty("lethe.data");
    if (property != null && !property.isBlank()) {
      return Path.of(property).toAbsolutePath();
    }
    String env = System.getenv("LETHE_DATA");
    if (env != null && !env.isBlank()) {
      return Path.of(env).toAbsolutePath();
    }
    return repo().resolve("data");
  }

  @Test
  void demoModelReachesItsRecordedTestAccuracy() throws Exception {
    Path model = repo().resolve("deploy/models/fashion-resnet18-w16.pt");
    Path sidecar = repo().resolve("deploy/models/fashion-resnet18-w16.lethe.json");
    Path images = dataDir().resolve("fashion-mnist/t10k-images-idx3-ubyte.gz");
    Path labels = dataDir().resolve("fashion-mnist/t10k-labels-idx1-ubyte.gz");
    if (!Files.isRegularFile(images) || !Files.isRegularFile(labels)) {
      fail(
          "Fashion-MNIST test set not found: expected "
              + images
              + " and "
              + labels
              + "; run deploy/fetch-data.sh (it puts the data into <repo>/data, or into"
              + " $LETHE_DATA), or point -Dlethe.data / LETHE_DATA at a folder holding"
              + " fashion-mnist/t10k-*.gz");
    }
    assertThat(model).as("demo model (deploy/python/train_demo_model.py makes it)").isRegularFile();
    assertThat(sidecar).as("demo model sidecar").isRegularFile();
    JsonNode recorded = new ObjectMapper().readTree(sidecar.toFile()).get("test_accuracy");
    assertThat(recorded).as("test_accuracy in %s", sidecar).isNotNull();

    CliRun run =
        JobFixtures.cli(
            "evaluate",
            "--model",
            model.toString(),
            "--data",
            images.toString(),
            "--labels",
            labels.toString());

    assertThat(run.exitCode()).as("exit code; stderr: %s", run.stderr()).isZero();
    JsonNode summary = run.summary();
    assertThat(summary.get("samples").asLong()).as("test images evaluated").isEqualTo(10_000);
    assertThat(summary.get("accuracy").asDouble())
        .as("accuracy in Spark vs the sidecar's test_accuracy (PyTorch)")
        .isCloseTo(recorded.asDouble(), org.assertj.core.data.Offset.offset(0.001));
  }
}
