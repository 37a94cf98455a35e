package dev.lethe.job.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.pytorch.jni.JniUtils;
import dev.lethe.attack.AdversarialExample;
import dev.lethe.attack.PgdSettings;
import dev.lethe.data.Sample;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.SparkTestBase;
import dev.lethe.job.bench.StageTotals;
import dev.lethe.job.unlearn.DistributedStages;
import dev.lethe.model.Classifier;
import dev.lethe.model.ModelSpec;
import dev.lethe.model.SpecResolver;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutorModelTest extends SparkTestBase {

  @TempDir Path tmp;

  private ExecutorModel broadcast(ModelArtifact artifact) {
    ModelSpec spec;
    try (Classifier driver = artifact.load(SpecResolver.Partial.empty("test"), false)) {
      spec = driver.spec();
    }
    return ExecutorModel.broadcast(
        JavaSparkContext.fromSparkContext(spark.sparkContext()), artifact, spec);
  }

  @Test
  void everyTaskOfAJvmSharesOneClassifierLoadedOnce() throws Exception {
    // A copy of the CNN re-saved here has its own SHA-256, unseen by other tests in this JVM.
    Path model = tmp.resolve("resaved-cnn.pt");
    try (Classifier cnn = Classifier.load(JobFixtures.cnn(), SpecResolver.Partial.empty("test"))) {
      cnn.save(model);
    }
    java.nio.file.Files.copy(
        JobFixtures.DIR.resolve("digits-cnn-bn.lethe.json"), tmp.resolve("resaved-cnn.lethe.json"));
    try (ModelArtifact artifact =
        ModelArtifact.fetch(model.toString(), spark.sparkContext().hadoopConfiguration())) {
      ExecutorModel holder = broadcast(artifact);
      boolean seenBefore = ExecutorModel.cached(artifact.sha256());
      int loadsBefore = ExecutorModel.loads();

      List<Integer> identities =
          JavaSparkContext.fromSparkContext(spark.sparkContext())
              .parallelize(IntStream.range(0, 8).boxed().toList(), 8)
              .map(i -> System.identityHashCode(holder.sharedForInference()))
              .collect();

      assertThat(seenBefore).as("model cached before the first task").isFalse();
      assertThat(new HashSet<>(identities)).as("classifiers used by 8 tasks").hasSize(1);
      assertThat(ExecutorModel.loads() - loadsBefore).as("loads for 8 tasks").isEqualTo(1);
      assertThat(holder.sharedForInference().trainable()).as("shared is frozen").isFalse();
      holder.release();
    }
  }

  @Test
  void stageAAttacksOneSharedModelPerJvmAndReportsWhereItsTasksSpentTheirTime() throws Exception {
    // A copy of the CNN re-saved here has its own SHA-256, unseen by other tests in this JVM.
    Path model = tmp.resolve("stage-a-cnn.pt");
    try (Classifier cnn = Classifier.load(JobFixtures.cnn(), SpecResolver.Partial.empty("test"))) {
      cnn.save(model);
    }
    java.nio.file.Files.copy(
        JobFixtures.DIR.resolve("digits-cnn-bn.lethe.json"), tmp.resolve("stage-a-cnn.lethe.json"));
    List<Sample> forget = JobFixtures.testSamples().subList(0, 4);
    StageTotals totals = StageTotals.listen(spark.sparkContext());
    try (ModelArtifact artifact =
        ModelArtifact.fetch(model.toString(), spark.sparkContext().hadoopConfiguration())) {
      ExecutorModel holder = broadcast(artifact);
      PgdSettings pgd =
          PgdSettings.defaults(holder.spec().input()).withSteps(5).withPerInstance(3).withSeed(3);
      // Saving is deterministic: another test of this JVM may have loaded these bytes already.
      boolean seenBefore = ExecutorModel.cached(artifact.sha256());
      int loadsBefore = ExecutorModel.loads();

      List<AdversarialExample> examples =
          DistributedStages.adversarial(
              spark, holder, forget, pgd, 4, 256, tmp.resolve("adversarial").toString());

      assertThat(examples).hasSize(12);
      // Four tasks in one JVM: one load, the shared frozen classifier, no private copies.
      assertThat(ExecutorModel.loads() - loadsBefore)
          .as("loads for 4 stage A tasks")
          .isEqualTo(seenBefore ? 0 : 1);
      assertThat(ExecutorModel.cached(artifact.sha256())).as("shared model cached").isTrue();
      Map<String, Long> sums = totals.accumulators();
      assertThat(sums.get(DistributedStages.ADVERSARIAL_TASKS)).as("tasks").isEqualTo(4L);
      assertThat(sums.get(DistributedStages.ADVERSARIAL_TORCH_THREADS))
          .as("libtorch threads, summed over 4 tasks")
          .isEqualTo(4L * JniUtils.getNumThreads());
      assertThat(sums.get(DistributedStages.ADVERSARIAL_PGD_MS)).as("PGD ms").isPositive();
      assertThat(sums)
          .containsKeys(
              DistributedStages.ADVERSARIAL_MODEL_MS, DistributedStages.ADVERSARIAL_WRITE_MS);
      assertThat(totals.taskMetrics().get("executorRunMs"))
          .as("executor run time covers PGD")
          .isGreaterThanOrEqualTo(sums.get(DistributedStages.ADVERSARIAL_PGD_MS));
      holder.release();
    } finally {
      totals.stop();
    }
  }

  @Test
  void privateCopiesAreSeparateAndMayBeTrainable() {
    try (ModelArtifact artifact =
        ModelArtifact.fetch(
            JobFixtures.cnn().toString(), spark.sparkContext().hadoopConfiguration())) {
      ExecutorModel holder = broadcast(artifact);
      try (Classifier own = holder.loadPrivate(true)) {
        assertThat(own).as("private copy").isNotSameAs(holder.sharedForInference());
        assertThat(own.trainable()).as("private copy trainable").isTrue();
        assertThat(own.spec()).as("spec from the driver").isEqualTo(holder.spec());
      }
      holder.release();
    }
  }

  @Test
  void artifactKnowsItsHashAndSidecar() {
    try (ModelArtifact artifact =
        ModelArtifact.fetch(
            "file://" + JobFixtures.cnn(), spark.sparkContext().hadoopConfiguration())) {
      assertThat(artifact.sha256())
          .as("sha256 (recorded in the sidecar)")
          .isEqualTo("dedcdc1d1fc25e89879dc27a0a1c94749e4b7651df33eba77db905c1afd6596b");
      assertThat(artifact.sidecarUri()).as("sidecar").isPresent();
      assertThat(artifact.sidecar().numClasses()).as("classes from the sidecar").isEqualTo(10);
      assertThat(artifact.fileName()).as("file name").isEqualTo("digits-cnn-bn.pt");
    }
  }
}
