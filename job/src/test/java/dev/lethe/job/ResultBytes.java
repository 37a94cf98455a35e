package dev.lethe.job;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;

/**
 * Adds up the serialized results that tasks send back to the driver ({@code resultSize} of every
 * task that ends) while an action runs: what the driver received from the executors. {@link
 * #ofResultTasks} counts only the tasks of each job's final stage (result tasks: their results are
 * the action's values; a shuffle map task returns only where its output lies).
 */
public final class ResultBytes extends SparkListener {

  private final AtomicLong bytes = new AtomicLong();
  private final boolean resultTasksOnly;

  private ResultBytes(boolean resultTasksOnly) {
    this.resultTasksOnly = resultTasksOnly;
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
    if (taskEnd.taskMetrics() != null
        && (!resultTasksOnly || "ResultTask".equals(taskEnd.taskType()))) {
      bytes.addAndGet(taskEnd.taskMetrics().resultSize());
    }
  }

  /** The bytes the tasks of {@code action}'s jobs sent back to the driver. */
  public static long of(SparkSession spark, Runnable action) {
    return measure(spark, action, false);
  }

  /** The bytes the tasks of the final stage of {@code action}'s jobs sent back to the driver. */
  public static long ofResultTasks(SparkSession spark, Runnable action) {
    return measure(spark, action, true);
  }

  private static long measure(SparkSession spark, Runnable action, boolean resultTasksOnly) {
    ResultBytes listener = new ResultBytes(resultTasksOnly);
    spark.sparkContext().addSparkListener(listener);
    try {
      action.run();
      spark.sparkContext().listenerBus().waitUntilEmpty(60_000);
    } catch (TimeoutException e) {
      throw new IllegalStateException("Spark's listener bus did not drain in 60 s", e);
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
    return listener.bytes.get();
  }

  /** The bytes of a value as a task sends it back (Java serialization, Spark's default). */
  public static long serializedSize(Object value) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.size();
  }
}
