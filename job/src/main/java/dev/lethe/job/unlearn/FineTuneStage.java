package dev.lethe.job.unlearn;

import ai.djl.pytorch.jni.JniUtils;
import dev.lethe.attack.AdversarialExample;
import dev.lethe.importance.Importance;
import dev.lethe.job.model.ModelArtifact;
import dev.lethe.job.shutdown.Interruption;
import dev.lethe.job.spark.JobGroup;
import dev.lethe.model.Classifier;
import dev.lethe.unlearn.Trajectory;
import dev.lethe.unlearn.Unlearning;
import dev.lethe.unlearn.UnlearningResult;
import java.util.List;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Stage C: the fine-tune, on the driver with {@link Unlearning} and every driver core. No task runs
 * meanwhile, so libtorch gets the driver's cores rather than the per-task share that {@link
 * dev.lethe.job.model.TorchThreads} gave it (in local mode the driver is the executor too).
 */
public final class FineTuneStage {

  /** Spark job group of stage C. */
  public static final String JOB_GROUP = "lethe-unlearn-finetune";

  /**
   * What the fine-tune measured, the unlearned model as TorchScript bytes, and the fine-tune step
   * by step (for the version's report.html).
   */
  public record Output(UnlearningResult result, byte[] model, Trajectory trajectory) {}

  private FineTuneStage() {}

  /**
   * Fine-tunes a trainable copy of the model on the forget set with the stage A examples and the
   * stage B importance (either may be null when the method does not use it), and logs one line.
   */
  public static Output run(
      JavaSparkContext jsc,
      ModelArtifact artifact,
      UnlearnRequest request,
      UnlearnInputs in,
      RunSettings settings,
      List<AdversarialExample> adversarial,
      Importance importance,
      Consumer<String> progress) {
    UnlearningResult result;
    byte[] modelBytes;
    Trajectory trajectory = new Trajectory();
    int taskThreads = JniUtils.getNumThreads();
    int driverThreads = jsc.getConf().getInt("spark.driver.cores", 0);
    JniUtils.setNumThreads(
        driverThreads > 0 ? driverThreads : Runtime.getRuntime().availableProcessors());
    try (JobGroup g =
            JobGroup.start(jsc, JOB_GROUP, "Lethe unlearn, stage C: fine-tune on the driver");
        Classifier model = artifact.load(in.options(), true)) {
      Unlearning unlearning =
          new Unlearning(model, in.forget())
              .optMethod(request.method())
              .optGoal(request.goal())
              .optRetain(in.retain())
              .optHeldOut(in.heldOut())
              .optEvaluation(false)
              .optSeed(request.seed())
              .optTrajectory(trajectory)
              .optPgd(settings.pgd())
              .optProgress(progress)
              // A signal ends the fine-tune between two steps, so that the shutdown hook sees the
              // run unwind and the JVM does not exit while this thread is inside libtorch.
              .optStopRequested(Interruption::stopping);
      if (request.targetClass() != null) {
        unlearning.optTargetClass(request.targetClass());
      } else if (request.targeted()) {
        unlearning.optTargeted();
      }
      if (settings.candidates().size() == 1) {
        unlearning.optSettings(settings.candidates().get(0));
      } else {
        unlearning.optCandidates(settings.candidates());
      }
      if (adversarial != null) {
        unlearning.optAdversarial(adversarial);
      }
      if (importance != null) {
        unlearning.optImportance(importance);
      }
      result = unlearning.run();
      modelBytes = model.toBytes();
    } finally {
      JniUtils.setNumThreads(taskThreads);
    }
    progress.accept(
        String.format(
            "stage C: %s; forget accuracy %.4f -> %.4f%s",
            result.succeeded() ? "reached the goal" : "did not reach the goal",
            result.forget().before(),
            result.forget().after(),
            trajectory.heldOutMeasures() == 0
                ? ""
                : String.format(
                    "; held-out accuracy measured %d times for the report (%.2f s)",
                    trajectory.heldOutMeasures(), trajectory.heldOutSeconds())));
    return new Output(result, modelBytes, trajectory);
  }
}
