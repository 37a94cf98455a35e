package dev.lethe.job.ledger;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lethe.job.SparkTestBase;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A session started without Delta Lake's settings cannot open a ledger, and says what to set. */
class LedgerSessionTest extends SparkTestBase {

  @TempDir Path tmp;

  @Test
  void refusesASessionWithoutDeltaNamingTheSettings() {
    String uri = tmp.resolve("ledger").toString();
    assertThatThrownBy(() -> Ledger.open(spark, uri))
        .as("opening a ledger in a session without Delta's extension")
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Cannot open ledger "
                + uri
                + ": the Spark session was started without Delta Lake's extension"
                + " (spark.sql.extensions is ''); start it with --conf"
                + " spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension --conf"
                + " spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog");
  }
}
