package dev.lethe.job.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.data.ImageShape;
import dev.lethe.data.Sample;
import dev.lethe.job.SparkTestBase;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.Partition;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/**
 * Stages A and B spread the forget set, stage D a held-out or retain sample and an image folder its
 * file names over the executors as one broadcast: every item reaches exactly one partition, in
 * order, and no task carries items (a task's partition is what it serialises besides the stage's
 * shared closure).
 */
class DriverListTest extends SparkTestBase {

  /** 3,000 images of 1x16x16: 3 MB of pixels. */
  private static List<Sample> samples() {
    ImageShape shape = new ImageShape(1, 16, 16);
    List<Sample> out = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      float[] px = new float[shape.size()];
      px[i % px.length] = i;
      out.add(new Sample("s" + i, i % 10, shape, px));
    }
    return out;
  }

  @Test
  void everySampleReachesOnePartitionInOrderAndNoTaskCarriesThem() throws IOException {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<Sample> samples = samples();
    try (DriverList<Sample> spread = DriverList.spread(jsc, samples, 3)) {
      JavaRDD<Sample> rdd = spread.rdd();
      assertThat(rdd.getNumPartitions()).isEqualTo(3);
      List<List<Sample>> parts = rdd.glom().collect();
      assertThat(parts).extracting(List::size).containsExactly(1000, 1000, 1000);
      assertThat(rdd.collect())
          .extracting(Sample::id)
          .as("every sample once, in order")
          .containsExactlyElementsOf(samples.stream().map(Sample::id).toList());
      assertThat(rdd.collect().get(2999).pixels()[2999 % 256]).isEqualTo(2999f);
      for (Partition p : rdd.partitions()) {
        assertThat(serialisedSize(p)).as("bytes of partition %d", p.index()).isLessThan(4096);
      }
    }
    // what the stages did before: each partition holds its samples (over 1 MB each here)
    for (Partition p : jsc.parallelize(samples, 3).partitions()) {
      assertThat(serialisedSize(p)).as("a parallelized partition").isGreaterThan(1_000_000);
    }
  }

  @Test
  void fewerSamplesThanPartitionsGiveOnePartitionEach() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<Sample> two = samples().subList(0, 2);
    try (DriverList<Sample> spread = DriverList.spread(jsc, two, 8)) {
      assertThat(spread.rdd().getNumPartitions()).isEqualTo(2);
      assertThat(spread.rdd().collect()).extracting(Sample::id).containsExactly("s0", "s1");
    }
  }

  private static int serialisedSize(Object o) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    return bytes.size();
  }
}
