package dev.lethe.job.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ledger's sweep lease under local[2] with real Delta commits: two sweeps taking it at once,
 * renewal while a sweep runs, and an expired lease taken over, after which its former holder can
 * neither publish nor release the new holder's lease.
 */
class SweepLockTest extends DeltaSparkTestBase {

  @TempDir Path tmp;

  /** Runs {@code acquire} for both holders at the same moment; returns each one's result. */
  private List<Object> raceFor(String ledgerUri, String... holders) throws Exception {
    CyclicBarrier start = new CyclicBarrier(holders.length);
    ExecutorService pool = Executors.newFixedThreadPool(holders.length);
    try {
      List<Future<Object>> results = new ArrayList<>();
      for (String holder : holders) {
        results.add(
            pool.submit(
                () -> {
                  Ledger ledger = Ledger.open(spark, ledgerUri);
                  start.await(1, TimeUnit.MINUTES);
                  try {
                    return (Object) SweepLock.acquire(ledger, holder, Duration.ofMinutes(5));
                  } catch (SweepLockedException e) {
                    return e;
                  }
                }));
      }
      List<Object> out = new ArrayList<>();
      for (Future<Object> f : results) {
        out.add(f.get(3, TimeUnit.MINUTES));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void ofTwoSweepsTakingTheLeaseAtOnceExactlyOneHoldsItAndTheOtherIsToldWho() throws Exception {
    String uri = tmp.resolve("ledger").toString();
    Ledger.open(spark, uri);
    // Round 1 races on a lease table neither has created; round 2 on a released lease row.
    for (int round = 1; round <= 2; round++) {
      String a = "sweep a" + round;
      String b = "sweep b" + round;
      List<Object> results = raceFor(uri, a, b);
      List<SweepLock> winners = new ArrayList<>();
      List<SweepLockedException> losers = new ArrayList<>();
      for (Object r : results) {
        if (r instanceof SweepLock lock) {
          winners.add(lock);
        } else {
          losers.add((SweepLockedException) r);
        }
      }
      assertThat(winners).as("round %d: holders", round).hasSize(1);
      assertThat(losers).as("round %d: refused", round).hasSize(1);
      SweepLock winner = winners.get(0);
      SweepLock.Lease lease = SweepLock.current(Ledger.open(spark, uri)).orElseThrow();
      assertThat(lease.holder())
          .as("round %d: the table names the holder", round)
          .isEqualTo(winner.holder());
      assertThat(losers.get(0).getMessage())
          .as("round %d: the refusal", round)
          .contains("Cannot sweep ledger " + uri)
          .contains("nothing was done");
      if (losers.get(0).lease() != null) {
        assertThat(losers.get(0).getMessage()).as("names the holder").contains(winner.holder());
      }
      winner.check();
      winner.close();
      assertThat(SweepLock.current(Ledger.open(spark, uri)).orElseThrow().releasedAt())
          .as("round %d: released", round)
          .isNotNull();
    }
  }

  @Test
  void aRunningSweepRenewsItsLeaseSoItOutlivesItsTimeToLive() throws Exception {
    String uri = tmp.resolve("renewed").toString();
    Ledger ledger = Ledger.open(spark, uri);
    try (SweepLock held = SweepLock.acquire(ledger, "sweep long", Duration.ofSeconds(3))) {
      Thread.sleep(6_000);
      assertThatThrownBy(() -> SweepLock.acquire(ledger, "sweep later", Duration.ofSeconds(3)))
          .as("6 s later, past its 3 s time to live, the renewed lease still refuses others")
          .isInstanceOf(SweepLockedException.class)
          .hasMessageContaining("sweep long holds its lock");
      held.check();
    }
    try (SweepLock next = SweepLock.acquire(ledger, "sweep after", Duration.ofSeconds(3))) {
      assertThat(next.holder()).as("taken after release").isEqualTo("sweep after");
    }
  }

  @Test
  void anExpiredLeaseIsTakenOverAndItsFormerHolderCanNeitherPublishNorRelease() throws Exception {
    String uri = tmp.resolve("expired").toString();
    Ledger ledger = Ledger.open(spark, uri);
    SweepLock stalled = SweepLock.acquire(ledger, "sweep stalled", Duration.ofSeconds(2));
    stalled.stopRenewing();
    Thread.sleep(3_000);
    SweepLock next = SweepLock.acquire(ledger, "sweep next", Duration.ofMinutes(5));
    assertThatThrownBy(stalled::check)
        .as("the stalled sweep's check before publishing")
        .isInstanceOf(SweepLockLostException.class)
        .hasMessageContaining("sweep stalled lost its lock")
        .hasMessageContaining("sweep next took it")
        .hasMessageContaining("nothing more was published");
    stalled.close();
    assertThat(SweepLock.current(ledger).orElseThrow())
        .as("the stalled sweep's close leaves the new lease alone")
        .satisfies(l -> assertThat(l.holder()).isEqualTo("sweep next"))
        .satisfies(l -> assertThat(l.releasedAt()).isNull());
    assertThatThrownBy(() -> SweepLock.acquire(ledger, "sweep third", Duration.ofMinutes(5)))
        .isInstanceOf(SweepLockedException.class)
        .hasMessageContaining("sweep next holds its lock");
    next.close();
  }

  @Test
  void aLeaseOfNoTimeIsRefused() {
    Ledger ledger = Ledger.open(spark, tmp.resolve("zero").toString());
    assertThatThrownBy(() -> SweepLock.acquire(ledger, "sweep", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("give 1s or more");
  }
}
