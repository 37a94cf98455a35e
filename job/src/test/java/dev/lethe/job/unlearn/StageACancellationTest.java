package dev.lethe.job.unlearn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.attack.PgdSettings;
import dev.lethe.data.Sample;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.SparkTestBase;
import dev.lethe.job.model.ExecutorModel;
import dev.lethe.job.model.ModelArtifact;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stage A's tasks end soon after their job is cancelled (as the shutdown hook cancels it on a
 * signal), between two PGD steps, instead of attacking the rest of their partition: here a million
 * steps per example, hours of PGD.
 */
class StageACancellationTest extends SparkTestBase {

  @TempDir Path tmp;

  @Test
  void cancelledStageATasksEndBetweenTwoPgdSteps() throws Exception {
    List<Sample> forget = JobFixtures.trainSamples().subList(0, 4);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    CountDownLatch started = new CountDownLatch(2);
    CountDownLatch ended = new CountDownLatch(2);
    SparkListener listener =
        new SparkListener() {
          @Override
          public void onTaskStart(SparkListenerTaskStart start) {
            started.countDown();
          }

          @Override
          public void onTaskEnd(SparkListenerTaskEnd end) {
            ended.countDown();
          }
        };
    spark.sparkContext().addSparkListener(listener);
    try (ModelArtifact artifact =
        ModelArtifact.fetch(
            JobFixtures.cnn().toString(), spark.sparkContext().hadoopConfiguration())) {
      ExecutorModel holder;
      try (Classifier model = artifact.load(SpecResolver.Partial.empty("test"), true)) {
        holder = ExecutorModel.broadcast(jsc, artifact, model.spec());
      }
      PgdSettings pgd = new PgdSettings(PgdSettings.Norm.L2, 2.0f, 0.1f, 1_000_000, 2, 0L);
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      Thread run =
          new Thread(
              () -> {
                try {
                  DistributedStages.adversarial(
                      spark, holder, forget, pgd, 2, 64, tmp.resolve("adv").toString());
                } catch (Throwable t) {
                  thrown.set(t);
                }
              },
              "stage-a");
      run.start();
      assertThat(started.await(60, TimeUnit.SECONDS)).as("both tasks started").isTrue();
      Thread.sleep(1000); // well inside PGD
      long cancelled = System.nanoTime();
      spark.sparkContext().cancelAllJobs();
      assertThat(ended.await(30, TimeUnit.SECONDS))
          .as("both tasks ended within 30 s of the cancel (their PGD would take hours)")
          .isTrue();
      run.join(TimeUnit.SECONDS.toMillis(30));
      assertThat(run.isAlive()).as("stage A returned").isFalse();
      assertThat(thrown.get()).as("stage A failed with the cancelled job").isNotNull();
      System.out.printf(
          "stage A tasks ended %d ms after the cancel%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cancelled));
      holder.release();
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
  }
}
