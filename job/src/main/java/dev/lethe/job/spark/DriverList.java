package dev.lethe.job.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * A list the driver holds (the forget set, a held-out or retain sample, an image folder's file
 * names) as an RDD whose tasks carry none of it: the list goes to the executors as one broadcast,
 * fetched once per executor, and partition i reads its slice [i n / p, (i + 1) n / p), the slices
 * {@code parallelize} would make. A parallelized list travels inside every task instead (Spark
 * warns of tasks over 1000 KiB: 256 forget images of 3x32x32 made two tasks of 1.5 MiB, the 60,000
 * file names of an image folder two of 1.9 MiB), and again with every retried task. Close it after
 * the last action on {@link #rdd()} to free the broadcast at once; otherwise Spark's context
 * cleaner frees it once the driver no longer references it.
 *
 * @param <T> the elements, serialisable
 */
public final class DriverList<T extends Serializable> implements AutoCloseable {

  private final Broadcast<List<T>> shared;
  private final JavaRDD<T> rdd;

  private DriverList(Broadcast<List<T>> shared, JavaRDD<T> rdd) {
    this.shared = shared;
    this.rdd = rdd;
  }

  /** {@code items} over {@code partitions} partitions (at least 1, at most one per item). */
  public static <T extends Serializable> DriverList<T> spread(
      JavaSparkContext jsc, List<T> items, int partitions) {
    int size = items.size();
    int p = Math.max(1, Math.min(partitions, size));
    Broadcast<List<T>> shared = jsc.broadcast(new ArrayList<>(items));
    List<Integer> slices = IntStream.range(0, p).boxed().toList();
    JavaRDD<T> rdd =
        jsc.parallelize(slices, p)
            .flatMap(
                slice ->
                    shared
                        .value()
                        .subList(
                            (int) ((long) slice * size / p), (int) ((long) (slice + 1) * size / p))
                        .iterator());
    return new DriverList<>(shared, rdd);
  }

  public JavaRDD<T> rdd() {
    return rdd;
  }

  @Override
  public void close() {
    shared.destroy();
  }
}
