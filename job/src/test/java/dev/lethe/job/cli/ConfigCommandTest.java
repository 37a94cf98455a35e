package dev.lethe.job.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import dev.lethe.job.conf.ConfLayers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lethe config --explain} as a user runs it: the defaults file (-Dlethe.defaults, as
 * deploy/bin/lethe names it), -Dspark.* (as --conf arrives) and --set, each winning over the one
 * before; planted secrets never printed; bad spark.lethe.* settings refused with exit 2 before any
 * Spark work.
 */
class ConfigCommandTest {

  @TempDir Path tmp;

  private final Map<String, String> set = new LinkedHashMap<>();

  private void property(String key, String value) {
    set.put(key, System.getProperty(key));
    System.setProperty(key, value);
  }

  @AfterEach
  void restoreSystemProperties() {
    set.forEach(
        (key, old) -> {
          if (old == null) {
            System.clearProperty(key);
          } else {
            System.setProperty(key, old);
          }
        });
  }

  private void defaultsFile(String text) throws Exception {
    Path file = tmp.resolve("lethe-defaults.conf");
    Files.writeString(file, text);
    property(ConfLayers.DEFAULTS_PROPERTY, file.toString());
  }

  @Test
  void explainShowsEachValueFromTheLayerThatWinsAndMasksSecrets() throws Exception {
    defaultsFile(
        "spark.lethe.learning-rate 0.01\n"
            + "spark.lethe.max-epochs 50\n"
            + "spark.lethe.momentum 0.5\n"
            + "spark.hadoop.fs.s3a.secret.key=planted-s3cr3t\n"
            + "spark.executor.memory 3g\n");
    property("spark.lethe.learning-rate", "0.02");
    property("spark.lethe.max-epochs", "60");
    property("spark.hadoop.fs.s3a.access.key", "planted-access");
    property("spark.ssl.trustStorePassword", "planted-pw");

    CliRun run = JobFixtures.cli("config", "--explain", "--set", "learning-rate=0.05");

    assertThat(run.exitCode()).as("exit code (stderr: %s)", run.stderr()).isZero();
    assertThat(run.stdout().lines())
        .as("config --explain")
        .contains(
            "spark.lethe.batchSize = 256    (built-in)",
            "spark.lethe.learning-rate = 0.05    (option)",
            "spark.lethe.max-epochs = 60    (spark conf/properties)",
            "spark.lethe.momentum = 0.5    (defaults file)",
            "spark.lethe.weight-decay = 0.0    (built-in)",
            "spark.executor.memory = 3g    (defaults file)",
            "spark.hadoop.fs.s3a.secret.key = *****    (defaults file)",
            "spark.hadoop.fs.s3a.access.key = *****    (spark conf/properties)",
            "spark.ssl.trustStorePassword = *****    (spark conf/properties)");
    assertThat(run.summary().path("status").asText()).isEqualTo("ok");
    assertThat(run.summary().path("command").asText()).isEqualTo("config");
    assertThat(run.summary().path("settings").path("spark.lethe.max-epochs").asText())
        .isEqualTo("60");
    assertThat(run.summary().path("sources").path("spark.lethe.learning-rate").asText())
        .isEqualTo("option");
    for (String secret : new String[] {"planted-s3cr3t", "planted-access", "planted-pw"}) {
      assertThat(run.stdout()).as("stdout").doesNotContain(secret);
      assertThat(run.stderr()).as("stderr").doesNotContain(secret);
    }
  }

  @Test
  void thePresetAndGoalChooseTheBuiltInDefaults() {
    CliRun run = JobFixtures.cli("config", "--preset", "paper", "--goal", "unseen");

    assertThat(run.exitCode()).as("exit code (stderr: %s)", run.stderr()).isZero();
    assertThat(run.stdout().lines())
        .contains("spark.lethe.max-epochs = 1000", "spark.lethe.forget-loss = cross-entropy");
  }

  @Test
  void anUnknownSettingIsRefusedNamingItBeforeAnyWork() throws Exception {
    defaultsFile("spark.lethe.learning_rate 0.1\n");

    CliRun run =
        JobFixtures.cli(
            "evaluate",
            "--model",
            tmp.resolve("no-model.pt").toString(),
            "--data",
            tmp.resolve("no-data").toString());

    assertThat(run.exitCode()).as("exit code (stderr: %s)", run.stderr()).isEqualTo(2);
    assertThat(run.stderr())
        .startsWith("Cannot configure Lethe: unknown setting spark.lethe.learning_rate;");
    assertThat(run.summary().path("error").asText()).contains("spark.lethe.learning_rate");
  }

  @Test
  void aValueOutOfRangeIsRefusedNamingTheKey() {
    property("spark.lethe.max-epochs", "0");

    CliRun run = JobFixtures.cli("config");

    assertThat(run.exitCode()).as("exit code (stderr: %s)", run.stderr()).isEqualTo(2);
    assertThat(run.stderr())
        .startsWith(
            "Cannot configure Lethe: spark.lethe.max-epochs is '0'; give a whole number, > 0");
  }
}
