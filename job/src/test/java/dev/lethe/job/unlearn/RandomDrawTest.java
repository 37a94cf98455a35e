package dev.lethe.job.unlearn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.data.Sample;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.SparkTestBase;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/** {@code --sample}: the draw depends on the seed and the ids only. */
class RandomDrawTest extends SparkTestBase {

  private static List<String> ids(List<Sample> samples) {
    return samples.stream().map(Sample::id).toList();
  }

  @Test
  void theSameSeedDrawsTheSameInstancesWhateverThePartitioningAndOrder() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<Sample> all = JobFixtures.testSamples();
    List<Sample> shuffled = new ArrayList<>(all);
    Collections.shuffle(shuffled, new java.util.Random(1));

    List<Sample> a = RandomDraw.draw(jsc.parallelize(all, 1), 16, 5);
    List<Sample> b = RandomDraw.draw(jsc.parallelize(shuffled, 3), 16, 5);
    List<Sample> other = RandomDraw.draw(jsc.parallelize(all, 2), 16, 6);

    assertThat(a).hasSize(16);
    assertThat(ids(b)).isEqualTo(ids(a));
    assertThat(ids(other)).isNotEqualTo(ids(a));
    assertThat(ids(a)).doesNotHaveDuplicates().isNotEqualTo(ids(all.subList(0, 16)));
    assertThat(RandomDraw.draw(jsc.parallelize(all.subList(0, 5), 2), 16, 5)).hasSize(5);
  }

  @Test
  void aSplitDrawsTheSameInstancesAndKeepsTheRestInOrder() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<Sample> all = JobFixtures.testSamples();
    RandomDraw.Split split = RandomDraw.split(all, 40, 5);

    assertThat(split.drawn()).hasSize(40);
    assertThat(split.rest()).hasSize(all.size() - 40);
    assertThat(ids(split.drawn()))
        .as("the same instances as the distributed draw")
        .containsExactlyInAnyOrderElementsOf(ids(RandomDraw.draw(jsc.parallelize(all, 2), 40, 5)));
    List<String> rest = new ArrayList<>(ids(all));
    rest.removeAll(ids(split.drawn()));
    assertThat(ids(split.rest())).as("the rest, in the input's order").isEqualTo(rest);
    List<String> drawnInOrder = new ArrayList<>(ids(all));
    drawnInOrder.retainAll(ids(split.drawn()));
    assertThat(ids(split.drawn())).as("drawn, in the input's order").isEqualTo(drawnInOrder);
  }

  @Test
  void aSplitOnTheExecutorsDrawsWhatTheSplitOfACollectedListDraws() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<Sample> base = JobFixtures.testSamples();
    for (long seed : new long[] {5, 6}) {
      // The first of the draw under one id twice more: ties of key and id go by position, and a
      // draw of 1 must take the earliest of the three (as the stable sort of the list split does).
      Sample first = RandomDraw.draw(jsc.parallelize(base, 1), 1, seed).get(0);
      List<Sample> all = new ArrayList<>(base);
      all.add(2, new Sample(first.id(), (first.label() + 1) % 10, first.shape(), first.pixels()));
      all.add(new Sample(first.id(), (first.label() + 2) % 10, first.shape(), first.pixels()));
      for (int partitions : new int[] {1, 3}) {
        for (int n : new int[] {1, 40}) {
          RandomDraw.Split onDriver = RandomDraw.split(all, n, seed);
          RandomDraw.RddSplit onExecutors =
              RandomDraw.split(jsc.parallelize(all, partitions), n, seed);
          assertThat(onExecutors.drawn())
              .as("drawn, %d partitions, n %d, seed %d", partitions, n, seed)
              .hasSize(n)
              .isEqualTo(onDriver.drawn());
          assertThat(onExecutors.rest().collect())
              .as("the rest, %d partitions, n %d, seed %d", partitions, n, seed)
              .isEqualTo(onDriver.rest());
        }
      }
    }
  }
}
