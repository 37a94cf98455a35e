package dev.lethe.job.unlearn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lethe.data.Sample;
import dev.lethe.importance.ImportanceSums;
import dev.lethe.importance.MasMode;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.ResultBytes;
import dev.lethe.job.SparkTestBase;
import dev.lethe.job.model.ExecutorModel;
import dev.lethe.job.model.ModelArtifact;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import dev.lethe.unlearn.UnlearnSettings;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Stage B's MAS sums are added up on the executors: whatever the number of partitions p, the final
 * stage sends the driver no more than log2(p) full-size sums (in fact one: the last addition runs
 * on an executor), and the total equals the sums of a one-partition run. Spark's default tree depth
 * of 2 sent the driver about sqrt(p) of them: 2 at 2 and 8 partitions, 5 at 32, 8 at 64.
 */
class ImportanceAggregationTest extends SparkTestBase {

  /** Forget instances: enough for 64 partitions of 2. */
  private static final int K = 128;

  /** Per task, what a result carries besides its value (task metrics, accumulator updates). */
  private static final long TASK_OVERHEAD = 4 * 1024;

  private static List<Sample> forget;
  private static ModelArtifact artifact;
  private static ExecutorModel holder;
  private static ImportanceSums single;
  private static final MasMode MODE = UnlearnSettings.defaults().masMode();

  @BeforeAll
  static void onePartitionRun() throws Exception {
    List<Sample> train = JobFixtures.trainSamples();
    forget = train.subList(0, K);
    artifact =
        ModelArtifact.fetch(
            JobFixtures.cnn().toString(), spark.sparkContext().hadoopConfiguration());
    try (Classifier model = artifact.load(SpecResolver.Partial.empty("test"), true)) {
      holder = ExecutorModel.broadcast(jsc(), artifact, model.spec());
    }
    single = DistributedStages.importanceSums(jsc(), holder, forget, MODE, 1, 256);
  }

  @AfterAll
  static void release() {
    if (holder != null) {
      holder.release();
    }
    if (artifact != null) {
      artifact.close();
    }
  }

  private static JavaSparkContext jsc() {
    return JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  @ParameterizedTest(name = "{0} partitions")
  @ValueSource(ints = {2, 8, 32, 64})
  void theDriverReceivesAtMostLog2PartitionsSumsAndTheTotalIsUnchanged(int partitions) {
    long oneSum = ResultBytes.serializedSize(single);
    assertThat(oneSum).as("one sum is far larger than a task's overhead").isGreaterThan(40_000);
    ImportanceSums[] sums = new ImportanceSums[1];
    long received =
        ResultBytes.ofResultTasks(
            spark,
            () ->
                sums[0] =
                    DistributedStages.importanceSums(jsc(), holder, forget, MODE, partitions, 256));
    double log2 = Math.log(partitions) / Math.log(2);
    System.out.printf(
        "MAS aggregation over %d partitions: the final stage sent the driver %d bytes (%.2f"
            + " sums of %d bytes)%n",
        partitions, received, received / (double) oneSum, oneSum);
    assertThat(received)
        .as(
            "bytes the driver received in the final stage over %d partitions (one sum: %d bytes)",
            partitions, oneSum)
        .isLessThanOrEqualTo((long) Math.floor(log2 * (oneSum + TASK_OVERHEAD)));
    assertThat(received)
        .as("the last addition runs on an executor: the driver receives one sum")
        .isLessThan(oneSum + TASK_OVERHEAD);

    assertThat(sums[0].count()).isEqualTo(K);
    assertThat(sums[0].sums().keySet()).containsExactlyElementsOf(single.sums().keySet());
    for (Map.Entry<String, float[]> e : single.sums().entrySet()) {
      float[] want = e.getValue();
      float[] got = sums[0].sums().get(e.getKey());
      assertThat(got).as(e.getKey()).hasSameSizeAs(want);
      // Float sums in another order (and gradients of other batch sizes): equal up to rounding,
      // relative to the tensor's largest value; a lost partition would move them by about 1/K.
      float scale = 0;
      for (float w : want) {
        scale = Math.max(scale, Math.abs(w));
      }
      for (int j = 0; j < got.length; j++) {
        assertThat(got[j])
            .as("%s[%d] (largest |value| %s)", e.getKey(), j, scale)
            .isCloseTo(want[j], within(1e-3f * scale + 1e-7f));
      }
    }
  }
}
