package dev.lethe.job.spark;

import dev.lethe.eval.Stopwatch;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress lines of one executor stage, for try-with-resources: tasks add the instances they
 * finished to {@link #done()}, and after every task the driver logs "STAGE: d/N instances done, r
 * UNIT per second". Spark merges a task's accumulator updates before it posts the task's end, so
 * each line counts that task.
 */
public final class StageProgress implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StageProgress.class);

  private final JavaSparkContext jsc;
  private final LongAccumulator done;
  private final SparkListener listener;

  private StageProgress(
      JavaSparkContext jsc, String stage, long total, double unitsPerInstance, String unit) {
    this.jsc = jsc;
    this.done = jsc.sc().longAccumulator("lethe: " + stage + " instances done");
    long start = System.nanoTime();
    this.listener =
        new SparkListener() {
          private long last = -1;

          @Override
          public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
            long now = done.value();
            if (now == last) {
              return;
            }
            last = now;
            double seconds = Math.max(Stopwatch.secondsSince(start), 1e-9);
            LOG.info(
                String.format(
                    "%s: %d/%d instances done, %.1f %s per second",
                    stage, now, total, now * unitsPerInstance / seconds, unit));
          }
        };
    jsc.sc().addSparkListener(listener);
  }

  /**
   * Starts logging progress of {@code stage} over {@code total} instances; the rate is given in
   * {@code unit}s, {@code unitsPerInstance} per instance.
   */
  public static StageProgress start(
      JavaSparkContext jsc, String stage, long total, double unitsPerInstance, String unit) {
    return new StageProgress(jsc, stage, total, unitsPerInstance, unit);
  }

  /** The accumulator tasks add their finished instances to. */
  public LongAccumulator done() {
    return done;
  }

  @Override
  public void close() {
    jsc.sc().removeSparkListener(listener);
  }
}
