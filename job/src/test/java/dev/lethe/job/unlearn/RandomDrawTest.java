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
}
