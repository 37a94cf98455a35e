package dev.lethe.job.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lethe.job.failure.UsageException;
import dev.lethe.unlearn.TuningTable;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class LetheConfTest {

  @Test
  void defaultsApplyWhenNothingIsSet() {
    LetheConf conf = LetheConf.from(new SparkConf(false).set("spark.app.name", "x"));

    assertThat(conf.batchSize()).as("batch size").isEqualTo(LetheConf.BATCH_SIZE_DEFAULT);
  }

  @Test
  void readsTheBatchSize() {
    LetheConf conf = LetheConf.from(new SparkConf(false).set(LetheConf.BATCH_SIZE, " 32 "));

    assertThat(conf.batchSize()).as("batch size").isEqualTo(32);
  }

  @Test
  void rejectsUnknownKeysNamingThem() {
    assertThatThrownBy(
            () -> LetheConf.from(Map.of("spark.lethe.batchsize", "8", "spark.other", "1")))
        .as("a misspelt key")
        .isInstanceOf(UsageException.class)
        .hasMessageStartingWith(
            "Cannot configure Lethe: unknown setting spark.lethe.batchsize; the known settings are"
                + " spark.lethe.batchSize and spark.lethe.<key> for the tuning keys forget-loss,")
        .hasMessageEndingWith("(see conf/lethe-defaults.conf)");
  }

  @Test
  void rejectsAnUnknownTuningKeyNamingIt() {
    assertThatThrownBy(() -> LetheConf.from(Map.of("spark.lethe.learning_rate", "0.1")))
        .as("a tuning key spelt with an underscore")
        .isInstanceOf(UsageException.class)
        .hasMessageStartingWith(
            "Cannot configure Lethe: unknown setting spark.lethe.learning_rate;")
        .hasMessageContaining("learning-rate");
  }

  @Test
  void everyTuningKeyIsASparkProperty() {
    LetheConf conf =
        LetheConf.from(
            new SparkConf(false)
                .set("spark.lethe.learning-rate", " 0.01 ")
                .set("spark.lethe.max-epochs", "50")
                .set("spark.lethe.pgd.steps", "7")
                .set("spark.lethe.forget-loss", "cross-entropy"));

    assertThat(conf.tuning())
        .as("tuning values, in table order, trimmed")
        .containsExactly(
            Map.entry("forget-loss", "cross-entropy"),
            Map.entry("learning-rate", "0.01"),
            Map.entry("max-epochs", "50"),
            Map.entry("pgd.steps", "7"));
    assertThat(conf.tuning(Map.of("learning-rate", "0.05")))
        .as("--set over the properties")
        .containsEntry("learning-rate", "0.05")
        .containsEntry("max-epochs", "50");
    assertThat(LetheConf.knownKeys())
        .as("known keys")
        .containsEntry("spark.lethe.learning-rate", "0.003")
        .containsEntry("spark.lethe.pgd.per-instance", "20")
        .hasSize(TuningTable.keys().size() + 1);
  }

  @Test
  void rejectsATuningValueOutOfRangeNamingTheKey() {
    assertThatThrownBy(() -> LetheConf.from(Map.of("spark.lethe.momentum", "1.5")))
        .as("momentum out of [0,1)")
        .isInstanceOf(UsageException.class)
        .hasMessage(
            "Cannot configure Lethe: spark.lethe.momentum is '1.5'; give a decimal, in [0,1)");
    assertThatThrownBy(() -> LetheConf.from(Map.of("spark.lethe.max-epochs", "ten")))
        .as("a malformed whole number")
        .isInstanceOf(UsageException.class)
        .hasMessage(
            "Cannot configure Lethe: spark.lethe.max-epochs is 'ten'; give a whole number, > 0");
    assertThatThrownBy(() -> LetheConf.from(Map.of("spark.lethe.pgd.norm", "l1")))
        .as("an unknown choice")
        .isInstanceOf(UsageException.class)
        .hasMessage("Cannot configure Lethe: spark.lethe.pgd.norm is 'l1'; give one of l2, linf");
  }

  @Test
  void rejectsMalformedValuesNamingTheKey() {
    assertThatThrownBy(() -> LetheConf.from(Map.of(LetheConf.BATCH_SIZE, "-3")))
        .as("a negative batch size")
        .isInstanceOf(UsageException.class)
        .hasMessage(
            "Cannot configure Lethe: spark.lethe.batchSize is '-3'; give a whole number of 1 or"
                + " more");
  }
}
