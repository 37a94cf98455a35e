package dev.lethe.job.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lethe.job.conf.ConfLayers.Setting;
import dev.lethe.job.conf.ConfLayers.Source;
import dev.lethe.job.failure.UsageException;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.TuningTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Precedence of a setting's layers (built-in < defaults file < spark conf < option) and masking.
 */
class ConfLayersTest {

  @TempDir Path tmp;

  private static Setting find(List<Setting> settings, String key) {
    return settings.stream().filter(s -> s.key().equals(key)).findFirst().orElseThrow();
  }

  @Test
  void eachLayerOverridesTheOneBelowForEveryKey() {
    String lr = "spark.lethe.learning-rate";
    String epochs = "spark.lethe.max-epochs";
    String steps = "spark.lethe.pgd.steps";
    ConfLayers builtIn = new ConfLayers(Map.of(), Map.of());
    ConfLayers file = new ConfLayers(Map.of(), Map.of(lr, "0.01", epochs, "50", steps, "9"));
    ConfLayers spark =
        new ConfLayers(Map.of(lr, "0.02", epochs, "60"), Map.of(lr, "0.01", epochs, "50"));

    List<Setting> none = builtIn.lethe(Map.of(), null, TuningTable.Preset.LETHE, Goal.MISCLASSIFY);
    assertThat(find(none, lr)).isEqualTo(new Setting(lr, "0.003", Source.BUILT_IN));
    assertThat(find(none, epochs)).isEqualTo(new Setting(epochs, "400", Source.BUILT_IN));
    assertThat(find(none, LetheConf.BATCH_SIZE))
        .isEqualTo(new Setting(LetheConf.BATCH_SIZE, "256", Source.BUILT_IN));
    List<Setting> paper = builtIn.lethe(Map.of(), null, TuningTable.Preset.PAPER, Goal.MISCLASSIFY);
    assertThat(find(paper, epochs))
        .as("the built-in default is the preset's")
        .isEqualTo(new Setting(epochs, "1000", Source.BUILT_IN));

    List<Setting> fromFile = file.lethe(Map.of(), null, TuningTable.Preset.PAPER, Goal.MISCLASSIFY);
    assertThat(find(fromFile, lr)).isEqualTo(new Setting(lr, "0.01", Source.DEFAULTS_FILE));
    assertThat(find(fromFile, epochs)).isEqualTo(new Setting(epochs, "50", Source.DEFAULTS_FILE));

    List<Setting> fromSpark =
        spark.lethe(Map.of(), null, TuningTable.Preset.LETHE, Goal.MISCLASSIFY);
    assertThat(find(fromSpark, lr)).isEqualTo(new Setting(lr, "0.02", Source.SPARK_CONF));
    assertThat(find(fromSpark, epochs)).isEqualTo(new Setting(epochs, "60", Source.SPARK_CONF));

    List<Setting> fromOption =
        spark.lethe(
            Map.of("learning-rate", "0.05", "max-epochs", "70"),
            "32",
            TuningTable.Preset.LETHE,
            Goal.MISCLASSIFY);
    assertThat(find(fromOption, lr)).isEqualTo(new Setting(lr, "0.05", Source.OPTION));
    assertThat(find(fromOption, epochs)).isEqualTo(new Setting(epochs, "70", Source.OPTION));
    assertThat(find(fromOption, LetheConf.BATCH_SIZE))
        .isEqualTo(new Setting(LetheConf.BATCH_SIZE, "32", Source.OPTION));

    assertThat(spark.merged()).as("merged").containsEntry(lr, "0.02").containsEntry(epochs, "60");
    assertThat(LetheConf.from(spark.merged()).tuning(Map.of("learning-rate", "0.05")))
        .as("the tuning a run gets")
        .containsEntry("learning-rate", "0.05")
        .containsEntry("max-epochs", "60");
  }

  @Test
  void aRunningSessionsConfigurationWinsOverTheDefaultsFile() {
    ConfLayers layers =
        new ConfLayers(
            Map.of(), Map.of("spark.lethe.max-epochs", "50", "spark.lethe.momentum", "0.5"));

    LetheConf conf = layers.letheConf(new SparkConf(false).set("spark.lethe.max-epochs", "60"));

    assertThat(conf.tuning()).containsEntry("max-epochs", "60").containsEntry("momentum", "0.5");
  }

  @Test
  void spark_submitsPropertiesFileCountsAsTheDefaultsFile() {
    // spark-submit --properties-file puts the file's values in the Spark configuration.
    ConfLayers layers =
        new ConfLayers(
            Map.of("spark.lethe.max-epochs", "50"), Map.of("spark.lethe.max-epochs", "50"));

    assertThat(layers.sourceOf("spark.lethe.max-epochs")).isEqualTo(Source.DEFAULTS_FILE);
  }

  @Test
  void readsTheDefaultsFileAsSparkReadsAPropertiesFile() throws Exception {
    Path file = tmp.resolve("defaults.conf");
    Files.writeString(
        file,
        "# comment\n! other comment\nspark.lethe.max-epochs 50 \n"
            + "spark.lethe.learning-rate=0.01\nspark.executor.memory: 2g\nnot.spark x\n");

    assertThat(ConfLayers.readDefaults(file))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "spark.lethe.max-epochs", "50",
                "spark.lethe.learning-rate", "0.01",
                "spark.executor.memory", "2g"));
    assertThatThrownBy(() -> ConfLayers.readDefaults(tmp.resolve("missing.conf")))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("missing.conf")
        .hasMessageContaining("give an existing file");
  }

  @Test
  void masksEverySettingWhoseKeyMayNameASecret() {
    ConfLayers layers =
        new ConfLayers(
            Map.of(
                "spark.hadoop.fs.s3a.secret.key", "planted-s3cr3t",
                "spark.hadoop.fs.s3a.access.key", "planted-access",
                "spark.ssl.keyStorePassword", "planted-pw",
                "spark.authenticate.SECRET", "planted-auth",
                "spark.hadoop.fs.s3a.session.token", "planted-token",
                "spark.executor.memory", "2g",
                "spark.driver.extraJavaOptions", "-Dfs.s3a.secret.key=planted-opt"),
            Map.of("spark.hadoop.fs.s3a.endpoint", "http://localhost:9000"));

    assertThat(layers.others())
        .containsExactly(
            new Setting("spark.authenticate.SECRET", ConfLayers.MASK, Source.SPARK_CONF),
            new Setting("spark.driver.extraJavaOptions", ConfLayers.MASK, Source.SPARK_CONF),
            new Setting("spark.executor.memory", "2g", Source.SPARK_CONF),
            new Setting("spark.hadoop.fs.s3a.access.key", ConfLayers.MASK, Source.SPARK_CONF),
            new Setting(
                "spark.hadoop.fs.s3a.endpoint", "http://localhost:9000", Source.DEFAULTS_FILE),
            new Setting("spark.hadoop.fs.s3a.secret.key", ConfLayers.MASK, Source.SPARK_CONF),
            new Setting("spark.hadoop.fs.s3a.session.token", ConfLayers.MASK, Source.SPARK_CONF),
            new Setting("spark.ssl.keyStorePassword", ConfLayers.MASK, Source.SPARK_CONF));
  }
}
