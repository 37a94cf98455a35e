package dev.lethe.job.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ledger on a real Delta table in a temporary folder, under local[2]. */
class LedgerTest extends DeltaSparkTestBase {

  @TempDir Path tmp;

  private static Outcome forgotten(String id, String version, String... samples) {
    return Outcome.forgotten(
        id, "digits-cnn", version, "ab12" + version, List.of(samples), 0.0, 0.91, 0.89);
  }

  @Test
  void createsOnceAndRecordsEveryColumn() {
    String uri = tmp.resolve("ledger").toString();
    Ledger ledger = Ledger.open(spark, uri);
    assertThat(ledger.version()).as("version of a new ledger").isZero();
    assertThat(ledger.outcomes()).as("outcomes of a new ledger").isEmpty();
    assertThat(Ledger.open(spark, uri).version())
        .as("version after opening an existing ledger again (no second create)")
        .isZero();

    Instant received = Instant.parse("2026-11-30T08:15:00Z");
    Outcome forgot = forgotten("r-001", "v1", "train/4", "train/17").withReceivedAt(received);
    Outcome rejected = Outcome.rejected("r-002", "unknown subject u999");
    Instant before = Instant.now();
    ledger.record(List.of(forgot, rejected));

    assertThat(ledger.version()).as("version after one record").isEqualTo(1);
    Outcome read = ledger.outcome("r-001").orElseThrow();
    assertThat(read.recordedAt())
        .as("recorded_at")
        .isNotNull()
        .isAfterOrEqualTo(before.minusSeconds(1));
    assertThat(read.withRecordedAt(null)).as("r-001 read back").isEqualTo(forgot);
    assertThat(read.sampleCount()).as("sample_count").isEqualTo(2);
    assertThat(ledger.outcome("r-002").map(Outcome::reason))
        .as("reason of r-002")
        .contains("unknown subject u999");
    assertThat(ledger.outcome("r-003")).as("outcome of an unknown request").isEmpty();
    assertThat(ledger.rows().schema().fieldNames())
        .as("the ledger's columns, the issue's first")
        .startsWith(
            "request_id",
            "status",
            "version",
            "model_sha256",
            "sample_count",
            "forget_accuracy",
            "test_accuracy_before",
            "test_accuracy_after",
            "reason",
            "recorded_at");
  }

  @Test
  void aRetriedBatchAddsNoRowAndForgottenStaysForgotten() {
    Ledger ledger = Ledger.open(spark, "file://" + tmp.resolve("ledger"));
    List<Outcome> batch =
        List.of(forgotten("r-001", "v1", "train/4"), Outcome.failed("r-002", "m", null, "gate"));
    ledger.record(batch);
    ledger.record(batch);
    assertThat(ledger.rows().count()).as("rows after recording one batch twice").isEqualTo(2);

    ledger.record(
        List.of(
            Outcome.rejected("r-001", "late duplicate"),
            forgotten("r-002", "v2", "train/9"),
            Outcome.rejected("r-003", "no such subject")));
    assertThat(ledger.outcome("r-001").map(Outcome::status))
        .as("a forgotten request is never replaced")
        .contains(Status.FORGOTTEN);
    assertThat(ledger.outcome("r-002").map(Outcome::version))
        .as("a failed request takes its new outcome")
        .contains("v2");
    assertThat(ledger.rows().count()).as("rows: one per request").isEqualTo(3);
    assertThat(ledger.history())
        .as("operations, oldest first")
        .extracting(Ledger.Commit::operation)
        .containsExactly("CREATE TABLE", "MERGE", "MERGE", "MERGE");
  }

  @Test
  void pendingKeepsRequestsWithoutAnOutcomeInOrder() {
    Ledger ledger = Ledger.open(spark, tmp.resolve("ledger").toString());
    assertThat(ledger.pendingIds(List.of("r-3", "r-1", "r-2")))
        .as("pending in an empty ledger")
        .containsExactly("r-3", "r-1", "r-2");
    ledger.record(
        List.of(
            forgotten("r-1", "v1", "train/1"),
            Outcome.rejected("r-2", "bad"),
            Outcome.failed("r-4", "m", List.of("train/4"), "gate")));
    assertThat(ledger.pendingIds(List.of("r-3", "r-1", "r-2", "r-4", "r-5")))
        .as("pending: every status is final")
        .containsExactly("r-3", "r-5");
    record Request(String id, String subject) {}
    assertThat(
            ledger.pending(
                List.of(new Request("r-1", "u1"), new Request("r-9", "u9")), Request::id))
        .as("pending requests")
        .containsExactly(new Request("r-9", "u9"));
    assertThat(ledger.pendingIds(List.of())).as("pending of no requests").isEmpty();
  }

  @Test
  void timeTravelReadsEarlierVersions() {
    Ledger ledger = Ledger.open(spark, tmp.resolve("ledger").toString());
    ledger.record(List.of(Outcome.failed("r-1", "m", List.of("train/1"), "test drop 7 points")));
    ledger.record(List.of(forgotten("r-1", "v2", "train/1"), Outcome.rejected("r-2", "bad")));

    assertThat(ledger.outcomesAsOf(0)).as("outcomes as of version 0").isEmpty();
    assertThat(ledger.outcomeAsOf("r-1", 1).map(Outcome::status))
        .as("r-1 as of version 1")
        .contains(Status.FAILED);
    assertThat(ledger.outcomesAsOf(2))
        .as("outcomes as of version 2")
        .extracting(Outcome::requestId, Outcome::status)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("r-1", Status.FORGOTTEN),
            org.assertj.core.groups.Tuple.tuple("r-2", Status.REJECTED));
    assertThat(ledger.history().get(2).metrics())
        .as("MERGE metrics of version 2")
        .containsEntry("numTargetRowsUpdated", "1")
        .containsEntry("numTargetRowsInserted", "1");
    assertThatThrownBy(() -> ledger.rowsAsOf(3))
        .as("a version not yet written")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot read ledger "
                + ledger.uri()
                + " as of version 3: its versions are 0 to 2; give one of them");
  }

  @Test
  void twoWritersAtOnceConflictAndTheTableStaysConsistent() throws Exception {
    String uri = tmp.resolve("ledger").toString();
    Ledger.open(spark, uri);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<String> expected = new ArrayList<>();
    List<String> lostBatch = new ArrayList<>();
    int conflicts = 0;
    try {
      for (int round = 0; round < 6 && conflicts == 0; round++) {
        CyclicBarrier start = new CyclicBarrier(2);
        List<Future<Optional<LedgerConflictException>>> writers = new ArrayList<>();
        List<List<String>> batches = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
          List<String> ids =
              List.of("w" + w + "-round" + round + "-a", "w" + w + "-round" + round + "-b");
          batches.add(ids);
          Callable<Optional<LedgerConflictException>> writer =
              () -> {
                // Each writer opens the ledger itself, as two sweeps would.
                Ledger ledger = Ledger.open(spark, uri);
                List<Outcome> outcomes = new ArrayList<>();
                for (String id : ids) {
                  outcomes.add(Outcome.rejected(id, "round"));
                }
                start.await(30, TimeUnit.SECONDS);
                try {
                  ledger.record(outcomes);
                  return Optional.empty();
                } catch (LedgerConflictException e) {
                  return Optional.of(e);
                }
              };
          writers.add(pool.submit(writer));
        }
        int lost = 0;
        for (int w = 0; w < 2; w++) {
          Optional<LedgerConflictException> result = writers.get(w).get(120, TimeUnit.SECONDS);
          if (result.isPresent()) {
            lost++;
            assertThat(result.get().getMessage())
                .as("the loser's message")
                .startsWith("Cannot record 2 outcomes in ledger " + uri + ": another writer")
                .contains("nothing was written");
            lostBatch.addAll(batches.get(w));
          } else {
            expected.addAll(batches.get(w));
          }
        }
        assertThat(lost).as("writers that lost round %d", round).isLessThanOrEqualTo(1);
        conflicts += lost;
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(conflicts).as("conflicts seen in up to 6 rounds of two writers at once").isOne();
    Ledger ledger = Ledger.open(spark, uri);
    assertThat(ledger.outcomes())
        .as("the ledger after the writers: exactly the winners' rows, once each")
        .extracting(Outcome::requestId)
        .containsExactlyInAnyOrderElementsOf(expected);
    assertThat(ledger.version())
        .as("versions: the creation plus one per winning batch")
        .isEqualTo(expected.size() / 2);

    // The loser reads what is still pending and records it again.
    List<Outcome> retry = new ArrayList<>();
    for (String id : ledger.pendingIds(lostBatch)) {
      retry.add(Outcome.rejected(id, "retried"));
    }
    assertThat(retry).as("the lost batch, still pending").hasSize(2);
    ledger.record(retry);
    assertThat(ledger.outcomes())
        .as("the ledger after the loser's retry")
        .hasSize(expected.size() + 2)
        .filteredOn(o -> o.reason().equals("retried"))
        .extracting(Outcome::requestId)
        .containsExactlyInAnyOrderElementsOf(lostBatch);
  }

  @Test
  void refusesBadInputsWithMessagesNamingThem() throws Exception {
    Path notDelta = Files.createDirectories(tmp.resolve("other"));
    Files.writeString(notDelta.resolve("x.txt"), "x");
    assertThatThrownBy(() -> Ledger.open(spark, notDelta.toString()))
        .as("a folder that holds something else")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot create ledger "
                + notDelta
                + ": the folder exists and holds 1 entries but no Delta table (no _delta_log);"
                + " give a new path or an existing ledger");

    String table = tmp.resolve("table").toString();
    spark.range(3).write().format("delta").save(table);
    assertThatThrownBy(() -> Ledger.open(spark, table))
        .as("a Delta table that is not a ledger")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "Cannot open ledger "
                + table
                + ": it is a Delta table but not a"
                + " ledger (no column request_id, no column status,")
        .hasMessageEndingWith("); give a ledger made by Lethe or a new path");

    Ledger ledger = Ledger.open(spark, tmp.resolve("ledger").toString());
    Outcome one = Outcome.rejected("r-1", "x");
    assertThatThrownBy(() -> ledger.record(List.of(one, one)))
        .as("one request twice in a batch")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot record outcomes in ledger "
                + ledger.uri()
                + ": request r-1 is in the batch twice; give one outcome per request");
    assertThat(ledger.version()).as("version after the refused batch").isZero();

    assertThatThrownBy(() -> Outcome.forgotten("r-1", "m", null, null, List.of(), 0, 0, 0))
        .as("forgotten without a version")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "Cannot make outcome 'forgotten' for request r-1: it names no" + " published version");
    assertThatThrownBy(() -> Outcome.rejected("r-1", " "))
        .as("rejected without a reason")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot make outcome 'rejected' for request r-1: it has no reason; say why,"
                + " for the person who reads the ledger");
  }
}
