package dev.lethe.job.spark;

import org.apache.spark.api.java.JavaSparkContext;

/**
 * A Spark job group for the calling thread, for try-with-resources: every Spark job started inside
 * shows {@code description} in the Spark UI and can be cancelled by {@code id}; closing clears it.
 *
 * <pre>{@code
 * try (JobGroup g = JobGroup.start(jsc, "lethe-unlearn-adversarial", "stage A: ...")) { ... }
 * }</pre>
 */
public final class JobGroup implements AutoCloseable {

  private final JavaSparkContext jsc;

  private JobGroup(JavaSparkContext jsc) {
    this.jsc = jsc;
  }

  /** Sets the job group (not interrupting tasks on cancel) until {@link #close()}. */
  public static JobGroup start(JavaSparkContext jsc, String id, String description) {
    jsc.setJobGroup(id, description, false);
    return new JobGroup(jsc);
  }

  @Override
  public void close() {
    jsc.clearJobGroup();
  }
}
