package dev.lethe.job.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Listens to a SparkContext and adds up, over every completed stage, each named long accumulator
 * (such as DistributedStages' stage A times) and the executors' task metrics (run time,
 * deserialisation, JVM GC), for tests and benchmarks that ask where the executors' time went.
 */
public final class StageTotals extends SparkListener {

  private final Map<String, Long> accumulators = new HashMap<>();
  private final Map<String, Long> metrics = new HashMap<>();
  private final SparkContext sc;

  private StageTotals(SparkContext sc) {
    this.sc = sc;
  }

  /** Starts listening to {@code sc}. */
  public static StageTotals listen(SparkContext sc) {
    StageTotals totals = new StageTotals(sc);
    sc.addSparkListener(totals);
    return totals;
  }

  @Override
  public synchronized void onStageCompleted(SparkListenerStageCompleted event) {
    for (AccumulableInfo info :
        CollectionConverters.asJava(event.stageInfo().accumulables().values())) {
      if (info.name().isDefined() && info.value().isDefined()) {
        Object value = info.value().get();
        if (value instanceof Long v && !info.name().get().startsWith("internal.")) {
          accumulators.merge(info.name().get(), v, Long::sum);
        }
      }
    }
  }

  @Override
  public synchronized void onTaskEnd(SparkListenerTaskEnd event) {
    if (event.taskMetrics() == null) {
      return;
    }
    metrics.merge("tasks", 1L, Long::sum);
    metrics.merge("executorRunMs", event.taskMetrics().executorRunTime(), Long::sum);
    metrics.merge(
        "executorDeserializeMs", event.taskMetrics().executorDeserializeTime(), Long::sum);
    metrics.merge("jvmGcMs", event.taskMetrics().jvmGCTime(), Long::sum);
    metrics.merge(
        "resultSerializationMs", event.taskMetrics().resultSerializationTime(), Long::sum);
  }

  /**
   * The named accumulators' totals over the completed stages, once the listener has seen every
   * event posted so far.
   */
  public Map<String, Long> accumulators() {
    drain();
    synchronized (this) {
      return Map.copyOf(accumulators);
    }
  }

  /** Task metrics added over every finished task (tasks, executorRunMs, ...). */
  public Map<String, Long> taskMetrics() {
    drain();
    synchronized (this) {
      return Map.copyOf(metrics);
    }
  }

  /** Stops listening. */
  public void stop() {
    sc.removeSparkListener(this);
  }

  private void drain() {
    try {
      sc.listenerBus().waitUntilEmpty(TimeUnit.SECONDS.toMillis(30));
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("Spark's listener bus did not drain in 30 s", e);
    }
  }
}
