package dev.lethe.job.unlearn;

import dev.lethe.data.Sample;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Samples the driver holds (the forget set, a held-out or retain sample) as an RDD whose tasks
 * carry none of them: the list goes to the executors as one broadcast, fetched once per executor,
 * and partition i reads its slice [i n / p, (i + 1) n / p), the slices {@code parallelize} would
 * make. A parallelized list travels inside every task instead (Spark warns of tasks over 1000 KiB:
 * 256 forget images of 3x32x32 made two tasks of 1.5 MiB), and again with every retried task. Close
 * it after the last action on {@link #rdd()} to free the broadcast.
 */
final class DriverSamples implements AutoCloseable {

  private final Broadcast<List<Sample>> shared;
  private final JavaRDD<Sample> rdd;

  private DriverSamples(Broadcast<List<Sample>> shared, JavaRDD<Sample> rdd) {
    this.shared = shared;
    this.rdd = rdd;
  }

  /** {@code samples} over {@code partitions} partitions (at least 1, at most one per sample). */
  static DriverSamples spread(JavaSparkContext jsc, List<Sample> samples, int partitions) {
    int size = samples.size();
    int p = Math.max(1, Math.min(partitions, size));
    Broadcast<List<Sample>> shared = jsc.broadcast(new ArrayList<>(samples));
    List<Integer> slices = IntStream.range(0, p).boxed().toList();
    JavaRDD<Sample> rdd =
        jsc.parallelize(slices, p)
            .flatMap(
                slice ->
                    shared
                        .value()
                        .subList(
                            (int) ((long) slice * size / p), (int) ((long) (slice + 1) * size / p))
                        .iterator());
    return new DriverSamples(shared, rdd);
  }

  JavaRDD<Sample> rdd() {
    return rdd;
  }

  @Override
  public void close() {
    shared.destroy();
  }
}
