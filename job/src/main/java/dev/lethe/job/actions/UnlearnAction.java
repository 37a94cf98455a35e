package dev.lethe.job.actions;

import dev.lethe.data.ImageShape;
import dev.lethe.data.Resize;
import dev.lethe.job.failure.FailureReason;
import dev.lethe.job.unlearn.UnlearnReport;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.Method;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Makes a pre-trained classifier forget training instances and publishes the unlearned model as a
 * new immutable version with an audit manifest. Adversarial examples and weight importance are
 * computed on the executors, the fine-tune on the driver, the evaluation on the executors again.
 *
 * <pre>{@code
 * UnlearnAction.Result r = LetheActions.get(spark).unlearn()
 *     .model("s3a://models/m.pt").forget("s3a://data/train").forgetIds(List.of("train/17"))
 *     .heldOut("s3a://data/held-out").output("s3a://models/unlearned").execute();
 * }</pre>
 *
 * <p>Setters check their value at once and name the setting in their message. A run that misses its
 * goal is a result with {@link Status#GOAL_NOT_REACHED}, not an exception; a bad input throws.
 */
public interface UnlearnAction {

  /** The TorchScript model to unlearn from (URI or path); its sidecar sits next to it. Required. */
  UnlearnAction model(String uri);

  /** The data holding the instances to forget: IDX, image folder or Parquet. Required. */
  UnlearnAction forget(String uri);

  /** Forget only the rows with these ids (default: every row); excludes {@link #sample}. */
  UnlearnAction forgetIds(List<String> ids);

  /** Forget {@code count} rows drawn at random, seeded by {@link #seed}; excludes forget ids. */
  UnlearnAction sample(int count);

  /** Read only the first {@code count} rows of the forget data. */
  UnlearnAction limit(int count);

  /** The IDX label file of the forget data (default: derived from the image file's name). */
  UnlearnAction labels(String uri);

  /**
   * The model's class names in output order (default: its sidecar's, else none): they label image
   * folders by name, and must agree with the sidecar when it names the classes too.
   */
  UnlearnAction classNames(List<String> names);

  /**
   * The resize the model's image pipeline applies, as torchvision's {@code Resize(size)} then
   * {@code CenterCrop} to the model's input size (default: its sidecar's, else none: images are
   * used at their size); must agree with the sidecar when it declares one too.
   */
  UnlearnAction resize(Resize resize);

  /**
   * The model's input shape (default: its sidecar's, else the forget data's most common shape, or
   * its channels at the resize's size); must agree with the sidecar when it gives one too.
   */
  UnlearnAction inputShape(ImageShape shape);

  /** Test data: accuracy before and after, membership-inference non-members. */
  UnlearnAction test(String uri);

  /** Data the model never saw (labels unused): held at the original outputs; goal unseen's data. */
  UnlearnAction heldOut(String uri);

  /**
   * Use {@code count} random test images as the held-out data; test accuracy on the rest. 0: none,
   * not even the draw the run makes on its own when it is not told (1,000 test images when there
   * are at least 2,000, no held-out data and settings that hold a held-out sample).
   */
  UnlearnAction heldOutFromTest(int count);

  /**
   * A sample of retained training data: its accuracy before and after, and the data of method
   * retain and of {@link #maxRetainDrop}, which need it.
   */
  UnlearnAction retain(String uri);

  /**
   * Use {@code count} random rows of the forget data that are not forgotten (and fit the model) as
   * the retain data. 0: none, not even the draw the run makes on its own when it is not told (1,000
   * rows when the forget data holds that many besides the forgotten ones, and the run has no
   * held-out sample and settings that would hold one: it holds these rows' outputs in its place).
   */
  UnlearnAction retainFromForget(int count);

  /**
   * Rows of the forget data that a retain draw ({@link #retainFromForget}, or the run's own) must
   * not take although this run does not forget them: a sweep's samples of erasure requests that
   * later runs forget.
   */
  UnlearnAction notRetained(List<String> ids);

  /** The unlearning method (default {@link Method#L2UL}). */
  UnlearnAction method(Method method);

  /** When to stop (default {@link Goal#MISCLASSIFY}). */
  UnlearnAction goal(Goal goal);

  /** Relabel each instance to its runner-up class. */
  UnlearnAction targeted();

  /** Relabel every instance to class {@code index}. */
  UnlearnAction targetClass(int index);

  /** The preset: lethe (default), paper or calibrate. */
  UnlearnAction preset(String name);

  /** Tuning options (key to value, applied over the preset), e.g. {@code learning-rate}. */
  UnlearnAction tuning(Map<String, String> options);

  /** The run's seed: PGD targets and starts, random draws, MIA folds (default 0). */
  UnlearnAction seed(long seed);

  /**
   * The run id (default random); the version is {@code <UTC start time>-<run id>}. A run whose id
   * already published a version under {@link #output} publishes nothing new and returns that
   * version ({@link Result#alreadyPublished()}).
   */
  UnlearnAction runId(String id);

  /**
   * The model's folder name under {@link #output} (default: the model file's name without its
   * extension); a sweep that unlearns from a published {@code model.pt} keeps the original's name.
   */
  UnlearnAction modelName(String name);

  /** The erasure requests this run serves, listed in the manifest's {@code request_ids}. */
  UnlearnAction requestIds(List<String> ids);

  /**
   * The publish gate: a run whose test accuracy falls more than {@code points} percentage points
   * publishes nothing ({@link Status#GATE_BROKEN}). Needs {@link #test}. Default: no gate.
   */
  UnlearnAction maxTestDrop(double points);

  /**
   * The retain publish gate: a run whose accuracy on the retain data falls more than {@code points}
   * percentage points publishes nothing ({@link Status#GATE_BROKEN}). Needs {@link #retain}.
   * Default: no gate. With {@link #maxTestDrop} too, a run that breaks either publishes nothing.
   */
  UnlearnAction maxRetainDrop(double points);

  /**
   * Runs {@code check} right before the version is published; when it throws, nothing is published
   * and the exception leaves {@link #execute} (a sweep checks that it still holds the ledger's
   * lease). Default: none.
   */
  UnlearnAction beforePublish(Runnable check);

  /**
   * A map the run fills, as it goes, with what it has measured (the validated inputs' sizes, the
   * model's hash, the stage times) and the stage it is in, named as in the report: what a caller
   * reports about a run that {@link #execute} leaves with an exception. Default: none.
   */
  UnlearnAction measuredInto(Map<String, Object> sink);

  /** Where versions are published: {@code <uri>/<model name>/<version>/}. Required. */
  UnlearnAction output(String uri);

  /** The work folder (default {@code <output>/<model name>/.work-<version>}). */
  UnlearnAction work(String uri);

  /** Keep the work folder after the run (default: removed). */
  UnlearnAction keepWork(boolean keep);

  /** List the forget ids in the manifest, not only their hash. */
  UnlearnAction recordIds(boolean record);

  /** Partitions of stages A and B (default: Spark's parallelism). */
  UnlearnAction partitions(int count);

  /** Images per forward pass on the executors. */
  UnlearnAction batchSize(int size);

  /**
   * Runs the stages and publishes when the goal was reached.
   *
   * @throws IllegalArgumentException naming the input when an input is missing or unusable
   * @throws dev.lethe.job.failure.UsageException naming the setting when a setting does not fit
   */
  Result execute();

  /**
   * What {@link #execute} would do, without doing it (a dry run): every input read and checked as a
   * run does, the settings resolved; nothing published, nothing written under {@link #output}. The
   * plan's fields: model, forget, test, held_out, retain (uri and size), method, goal, targeted,
   * target_class, preset, seed, tuning, settings, pgd, gates, stages, run_id, publish_to, work and
   * already_published.
   *
   * @throws IllegalArgumentException naming the input when an input is missing or unusable
   * @throws dev.lethe.job.failure.UsageException naming the setting when a setting does not fit
   */
  Map<String, Object> plan();

  /** How a run ended. */
  enum Status {
    /** The goal was reached and the version published. */
    PUBLISHED,
    /** The goal was not reached; nothing was published. */
    GOAL_NOT_REACHED,
    /** The goal was reached but a publish gate was broken; nothing was published. */
    GATE_BROKEN
  }

  /**
   * What a run did: its status, the message when it published nothing, its report (every metric,
   * stage times, peak memory, and the version when published), and whether the version had been
   * published before by a run with the same run id (then nothing ran and the report is the
   * version's report.json).
   */
  record Result(Status status, String error, UnlearnReport report, boolean alreadyPublished) {

    public Result {
      Objects.requireNonNull(status, "status");
      Objects.requireNonNull(report, "report");
    }

    /** Why nothing was published, or null when the version was. */
    public FailureReason failureReason() {
      return status == Status.PUBLISHED ? null : FailureReason.GOAL_NOT_REACHED;
    }

    /** The published version's name, or null. */
    public String version() {
      return report.version();
    }

    /** The published model's URI, or null. */
    public String versionUri() {
      return status == Status.PUBLISHED ? report.modelUri() : null;
    }

    /** The published manifest's URI, or null. */
    public String manifestUri() {
      return report.manifestUri();
    }

    /** Forget-set accuracy before and after. */
    public UnlearnReport.Accuracy forget() {
      return report.measured().forget();
    }

    /** Test accuracy before and after, or null without test data. */
    public UnlearnReport.Accuracy test() {
      return report.measured().test();
    }

    /** Fine-tune steps taken. */
    public int steps() {
      return report.measured().steps();
    }

    /** Wall time of each stage. */
    public UnlearnReport.StageSeconds seconds() {
      return report.measured().seconds();
    }

    /** The driver's peak resident memory in MiB, or -1 where it cannot be read. */
    public long driverPeakRssMib() {
      return report.memory() == null ? -1 : report.memory().driverPeakRssMib();
    }
  }
}
