package dev.lethe.job.unlearn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.attack.AdversarialExample;
import dev.lethe.data.ImageShape;
import dev.lethe.data.Sample;
import dev.lethe.job.SparkTestBase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdversarialCheckpointTest extends SparkTestBase {

  @TempDir Path tmp;

  private static AdversarialExample example(String id, int index) {
    return new AdversarialExample(
        id, index, 1, 2, new ImageShape(1, 2, 2), new float[] {index, 0, 0, 1}, true);
  }

  @Test
  void rowsWrittenTwiceByARetriedTaskAreReadOnceInForgetOrder() {
    List<AdversarialExample> rows = new ArrayList<>();
    for (String id : List.of("b", "a")) {
      for (int j = 0; j < 3; j++) {
        rows.add(example(id, j));
      }
    }
    rows.add(example("a", 1)); // a second copy, as a retried task's surviving file would hold
    rows.add(example("b", 2));
    String uri = tmp.resolve("adversarial").toString();
    AdversarialCheckpoint.write(
        spark, JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, 2), uri);
    List<Sample> forget =
        List.of(
            new Sample("a", 1, new ImageShape(1, 2, 2), new float[4]),
            new Sample("b", 1, new ImageShape(1, 2, 2), new float[4]));

    List<AdversarialExample> read = AdversarialCheckpoint.read(spark, uri, forget);

    assertThat(read)
        .extracting(e -> e.sourceId() + e.index())
        .containsExactly("a0", "a1", "a2", "b0", "b1", "b2");
  }
}
