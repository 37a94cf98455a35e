package dev.lethe.job.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.job.JobFixtures;
import dev.lethe.job.SparkTestBase;
import dev.lethe.model.Classifier;
import dev.lethe.model.ModelSpec;
import dev.lethe.model.SpecResolver;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
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
