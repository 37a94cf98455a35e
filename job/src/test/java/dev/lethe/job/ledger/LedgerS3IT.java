package dev.lethe.job.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.job.storage.S3ProxyServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ledger on s3a:// against a real S3 API server, s3proxy, in its own process (its jar is copied
 * to job/target/it-tools by Maven before the integration tests): Delta's log and data objects land
 * in the bucket, MERGE and time travel work there.
 */
class LedgerS3IT extends DeltaSparkTestBase {

  private static final String BUCKET = "lethe";

  @TempDir static Path tmp;

  private static S3ProxyServer s3proxy;
  private static Path storage;

  @BeforeAll
  static void startS3proxy() throws Exception {
    s3proxy = S3ProxyServer.start(tmp, BUCKET);
    storage = s3proxy.storage();
    s3proxy.configure(spark.sparkContext().hadoopConfiguration());
  }

  @AfterAll
  static void stopS3proxy() throws InterruptedException {
    if (s3proxy != null) {
      s3proxy.close();
    }
  }

  @Test
  void recordsMergesAndTimeTravelsOnS3() throws IOException {
    String uri = "s3a://" + BUCKET + "/ledgers/fashion";
    Ledger ledger = Ledger.open(spark, uri);
    List<Outcome> batch =
        List.of(
            Outcome.forgotten(
                "r-001", "digits-cnn", "v1", "ab12", List.of("train/4"), 0.0, 0.9, 0.88),
            Outcome.rejected("r-002", "unknown subject u999"));
    ledger.record(batch);
    ledger.record(batch);
    ledger.record(List.of(Outcome.rejected("r-003", "no ids")));

    assertThat(Ledger.open(spark, uri).outcomes())
        .as("outcomes on S3, read by a new handle")
        .extracting(Outcome::requestId, Outcome::status)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("r-001", Status.FORGOTTEN),
            org.assertj.core.groups.Tuple.tuple("r-002", Status.REJECTED),
            org.assertj.core.groups.Tuple.tuple("r-003", Status.REJECTED));
    assertThat(ledger.version()).as("versions: create and three merges").isEqualTo(3);
    assertThat(ledger.outcomesAsOf(2)).as("as of version 2").hasSize(2);
    assertThat(ledger.pendingIds(List.of("r-001", "r-004"))).as("pending").containsExactly("r-004");
    try (var files = Files.walk(storage.resolve(BUCKET))) {
      assertThat(files.map(p -> storage.resolve(BUCKET).relativize(p).toString()))
          .as("objects in the bucket")
          .contains(
              "ledgers/fashion/_delta_log/00000000000000000000.json",
              "ledgers/fashion/_delta_log/00000000000000000003.json");
    }
  }
}
