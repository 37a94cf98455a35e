package dev.lethe.job.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lethe.job.failure.UsageException;
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
        .hasMessage(
            "Cannot configure Lethe: unknown setting spark.lethe.batchsize; the known settings are"
                + " spark.lethe.batchSize (see conf/lethe-defaults.conf)");
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
