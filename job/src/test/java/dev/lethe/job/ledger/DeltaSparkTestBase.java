package dev.lethe.job.ledger;

import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * One local[2] Spark session per test class with Delta Lake's extension and catalog ({@link
 * Ledger#SPARK_CONF}), otherwise as {@code dev.lethe.job.SparkTestBase}: UI off, loopback driver
 * host, 2 shuffle partitions, 2 Delta snapshot partitions. Teardown stops it and clears the active
 * and default sessions.
 */
public abstract class DeltaSparkTestBase {

  protected static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    SparkSession.Builder builder =
        SparkSession.builder()
            .master("local[2]")
            .appName("lethe-ledger-test")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.hadoop.fs.s3a.impl.disable.cache", "true")
            // Delta rebuilds a table's state in 50 partitions by default: far too many for a
            // ledger of a few rows on 2 cores.
            .config("spark.databricks.delta.snapshotPartitions", "2");
    for (Map.Entry<String, String> entry : Ledger.SPARK_CONF.entrySet()) {
      builder.config(entry.getKey(), entry.getValue());
    }
    spark = builder.getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
      spark = null;
    }
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }
}
