package dev.lethe.job.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
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
 * Two sweeps opening (and so creating) the same new ledger at the same moment both get it: before
 * the fix the second failed in round 0 with Delta's DELTA_CREATE_TABLE_WITH_NON_EMPTY_LOCATION.
 */
class LedgerCreateRaceTest extends DeltaSparkTestBase {

  @TempDir Path tmp;

  @Test
  void twoWritersCreatingOneLedgerAtOnceBothOpenIt() throws Exception {
    for (int round = 0; round < 10; round++) {
      String uri = tmp.resolve("ledger-" + round).toString();
      CyclicBarrier start = new CyclicBarrier(2);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      List<String> failures = new ArrayList<>();
      try {
        List<Future<?>> opened = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
          opened.add(
              pool.submit(
                  () -> {
                    start.await(1, TimeUnit.MINUTES);
                    return Ledger.open(spark, uri);
                  }));
        }
        for (Future<?> f : opened) {
          try {
            f.get(2, TimeUnit.MINUTES);
          } catch (java.util.concurrent.ExecutionException e) {
            StringBuilder causes = new StringBuilder();
            for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
              causes
                  .append(t.getClass().getName())
                  .append(": ")
                  .append(t.getMessage())
                  .append(" | ");
            }
            failures.add(causes.toString());
          }
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(failures).as("round %d", round).isEmpty();
    }
  }
}
