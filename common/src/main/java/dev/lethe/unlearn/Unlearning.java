package dev.lethe.unlearn;

import dev.lethe.attack.AdversarialExample;
import dev.lethe.attack.PgdAttack;
import dev.lethe.attack.PgdSettings;
import dev.lethe.data.Sample;
import dev.lethe.eval.Evaluation;
import dev.lethe.eval.MembershipInference;
import dev.lethe.eval.Stopwatch;
import dev.lethe.failure.SettingException;
import dev.lethe.importance.AnchorPenalty;
import dev.lethe.importance.Importance;
import dev.lethe.importance.Mas;
import dev.lethe.model.Classifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unlearns instances from a classifier on one machine, no Spark: the entry point of the method.
 *
 * <pre>{@code
 * UnlearningResult r = new Unlearning(model, forgetSet)
 *     .optMethod(Method.L2UL)
 *     .optTest(testSet)
 *     .run();
 * }</pre>
 *
 * The model and the forget set are required; everything else has a default: method l2ul, goal
 * misclassify (untargeted), {@link UnlearnSettings#defaults(Goal)}, PGD defaults for the model's
 * input shape, seed 0. Distributed callers pass precomputed adversarial examples and importance
 * with {@link #optAdversarial} and {@link #optImportance}; the run then only fine-tunes and
 * evaluates. The model is changed in place; save it afterwards if the result succeeded.
 */
public final class Unlearning {

  private static final Logger LOG = LoggerFactory.getLogger(Unlearning.class);

  /** The setting of {@link #optRetain}: a sample of retained training data. */
  public static final String RETAIN = "retain";

  /** The setting of {@link #optHeldOut}: a sample of data the model never saw. */
  public static final String HELD_OUT = "held-out";

  /** The setting of {@link #optTargeted}: relabel each instance to its runner-up class. */
  public static final String TARGETED = "targeted";

  /** The setting of {@link #optTargetClass}: relabel every instance to one class. */
  public static final String TARGET_CLASS = "target-class";

  /** How targets are chosen for a targeted (relabel) run. */
  public enum Targeting {
    /** Untargeted: any wrong class will do. */
    NONE,
    /** Each instance to the class the original model ranks second (its runner-up logit). */
    RUNNER_UP,
    /** Every instance to one class, {@link #optTargetClass}. */
    FIXED
  }

  private final Classifier model;
  private final List<Sample> forget;
  private Method method = Method.L2UL;
  private Goal goal = Goal.MISCLASSIFY;
  private Targeting targeting = Targeting.NONE;
  private int targetClass = -1;

  /** The settings to run, or to calibrate between; null: {@link UnlearnSettings#defaults(Goal)}. */
  private List<UnlearnSettings> candidates;

  private PgdSettings pgd;
  private List<Sample> test = List.of();
  private List<Sample> retain = List.of();
  private List<Sample> heldOut = List.of();
  private long seed;
  private int batchSize = 256;
  private List<AdversarialExample> adversarial;
  private Importance importance;
  private Consumer<String> progress = LOG::info;
  private boolean evaluate = true;
  private Trajectory trajectory;
  private BooleanSupplier stopRequested = () -> false;

  /** Restarts at a lower learning rate after a diverged fine-tune (frozen BatchNorm only). */
  static final int DIVERGENCE_RETRIES = 2;

  /**
   * @param model a trainable classifier; changed in place
   * @param forget the instances to forget, with their training labels
   */
  public Unlearning(Classifier model, List<Sample> forget) {
    this.model = Objects.requireNonNull(model, "model");
    if (forget == null || forget.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot unlearn: the forget set is empty; give at least one instance");
    }
    if (!model.trainable()) {
      throw new IllegalArgumentException(
          "Cannot unlearn with model " + model.name() + ": it was loaded with frozen weights");
    }
    int classes = model.spec().numClasses();
    List<Sample> conformed = new ArrayList<>(forget.size());
    for (Sample s : forget) {
      conformed.add(model.spec().conform(s));
      if (s.label() < 0 || s.label() >= classes) {
        throw new IllegalArgumentException(
            "Cannot unlearn instance "
                + s.id()
                + ": its label "
                + s.label()
                + " is outside the model's "
                + classes
                + " classes (0.."
                + (classes - 1)
                + ")");
      }
    }
    this.forget = List.copyOf(conformed);
  }

  public Unlearning optMethod(Method value) {
    this.method = Objects.requireNonNull(value);
    return this;
  }

  public Unlearning optGoal(Goal value) {
    this.goal = Objects.requireNonNull(value);
    return this;
  }

  /** Relabel every instance to its runner-up class under the original model. */
  public Unlearning optTargeted() {
    this.targeting = Targeting.RUNNER_UP;
    return this;
  }

  /** Relabel every instance to {@code cls}. */
  public Unlearning optTargetClass(int cls) {
    int classes = model.spec().numClasses();
    if (cls < 0 || cls >= classes) {
      throw new IllegalArgumentException(
          "Cannot relabel to class " + cls + ": the model has classes 0.." + (classes - 1));
    }
    this.targeting = Targeting.FIXED;
    this.targetClass = cls;
    return this;
  }

  /** Runs with exactly these settings (no calibration). */
  public Unlearning optSettings(UnlearnSettings value) {
    this.candidates = List.of(Objects.requireNonNull(value));
    return this;
  }

  /**
   * Calibrates: tries each candidate on a copy of the model and runs the best (see {@link
   * #calibrate}). One candidate means no calibration; {@link
   * UnlearnSettings#defaultCandidates(Goal)} are the job's {@code --preset calibrate}.
   */
  public Unlearning optCandidates(List<UnlearnSettings> values) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("Cannot calibrate over no candidate settings");
    }
    this.candidates = List.copyOf(new java.util.LinkedHashSet<>(values));
    return this;
  }

  public Unlearning optPgd(PgdSettings value) {
    this.pgd = Objects.requireNonNull(value);
    return this;
  }

  /** Test data: accuracy before/after; also the non-member sample of the MIA if no held-out. */
  public Unlearning optTest(List<Sample> value) {
    this.test = List.copyOf(value);
    return this;
  }

  /**
   * A sample of retained training data: accuracy before/after; needed by method retain, and kept by
   * method salun when given (CE on its labels). A distilling fine-tune without a held-out sample
   * holds the model's outputs on these images at the original model's, in place of the stand-ins.
   */
  public Unlearning optRetain(List<Sample> value) {
    this.retain = List.copyOf(value);
    return this;
  }

  /**
   * Data the model never saw: needed by goal unseen, and the MIA's non-members. With {@link
   * UnlearnSettings#heldOutBatch()} above 0 (the default) the fine-tune also holds the model's
   * outputs on these images at the original model's (their labels are not used). Without one, the
   * retain sample ({@link #optRetain}) takes their place in the fine-tune (and only there), and
   * without that {@link UnlearnSettings#standIns()} synthetic mixtures of forget images.
   */
  public Unlearning optHeldOut(List<Sample> value) {
    this.heldOut = List.copyOf(value);
    return this;
  }

  public Unlearning optSeed(long value) {
    this.seed = value;
    return this;
  }

  public Unlearning optBatchSize(int value) {
    if (value <= 0) {
      throw new IllegalArgumentException("Cannot use batch size " + value + ": must be > 0");
    }
    this.batchSize = value;
    return this;
  }

  /** Precomputed adversarial examples (e.g. from Spark executors); skips the attack phase. */
  public Unlearning optAdversarial(List<AdversarialExample> value) {
    this.adversarial = List.copyOf(value);
    return this;
  }

  /** Precomputed MAS importance (e.g. aggregated across executors); skips that phase. */
  public Unlearning optImportance(Importance value) {
    this.importance = Objects.requireNonNull(value);
    return this;
  }

  /**
   * Whether the run measures test and retain accuracy and the membership-inference attack itself
   * (default true). With false it measures only the forget set's accuracy (the stop rule needs it),
   * for a caller that evaluates elsewhere, e.g. on Spark executors; the held-out sample still
   * serves the calibration and goal unseen.
   */
  public Unlearning optEvaluation(boolean value) {
    this.evaluate = value;
    return this;
  }

  /**
   * Records the fine-tune that makes the result step by step into {@code value} (calibration trials
   * are not recorded), with held-out accuracy when there is a held-out sample ({@link Trajectory}).
   */
  public Unlearning optTrajectory(Trajectory value) {
    this.trajectory = Objects.requireNonNull(value);
    return this;
  }

  /**
   * Asked before every fine-tune step: when it answers true (the JVM is stopping, say) the run ends
   * between two steps with a {@link java.util.concurrent.CancellationException} instead of going
   * on, so that no thread is left inside libtorch when the JVM exits. The model is then partly
   * fine-tuned: discard it.
   */
  public Unlearning optStopRequested(BooleanSupplier value) {
    this.stopRequested = Objects.requireNonNull(value);
    return this;
  }

  /** Where progress lines go (default: this class's logger at INFO). */
  public Unlearning optProgress(Consumer<String> value) {
    this.progress = Objects.requireNonNull(value);
    return this;
  }

  /** Runs the phases; the model is left unlearned when the result succeeded. */
  public UnlearningResult run() {
    validate();
    List<UnlearnSettings> tried =
        candidates != null ? candidates : List.of(UnlearnSettings.defaults(goal));
    UnlearnSettings settings = tried.get(0);
    long start = System.nanoTime();
    int k = forget.size();
    int[] targets = targets();
    List<Sample> nonMembers = !evaluate ? List.of() : heldOut.isEmpty() ? test : heldOut;
    List<Sample> measuredTest = evaluate ? test : List.<Sample>of();
    List<Sample> measuredRetain = evaluate ? retain : List.<Sample>of();

    long t0 = System.nanoTime();
    double forgetBefore = model.accuracy(forget, batchSize);
    double testBefore = model.accuracy(measuredTest, batchSize); // NaN when not measured
    double retainBefore = model.accuracy(measuredRetain, batchSize); // NaN when not measured
    MembershipInference.Result miaBefore =
        nonMembers.size() >= 2 && k >= 2
            ? Evaluation.membership(model, forget, nonMembers, batchSize, seed)
            : null;
    double evaluateSeconds = Stopwatch.secondsSince(t0);

    t0 = System.nanoTime();
    List<AdversarialExample> adv = List.of();
    if (method.usesAdversarialExamples()) {
      if (adversarial != null) {
        adv = adversarial;
      } else {
        PgdSettings p = pgd != null ? pgd : PgdSettings.defaults(model.spec().input());
        adv = new PgdAttack(model, p.withSeed(seed)).generate(forget, batchSize);
      }
      progress.accept(
          String.format(
              "adversarial examples: %d, attack success %.3f",
              adv.size(), PgdAttack.successRate(adv)));
    }
    double adversarialSeconds = Stopwatch.secondsSince(t0);
    int kept = kept(settings).size();
    if (kept > 0) {
      progress.accept(
          String.format(
              !heldOut.isEmpty()
                  ? "held-out images kept at the original model's outputs: %d, %d per step"
                  : !retain.isEmpty()
                      ? "no held-out sample: the retain sample's %d images are kept at the original"
                          + " model's outputs in its place, %d per step"
                      : "no held-out sample: %d mixtures of forget images stand in for one, kept"
                          + " at the original model's outputs, %d per step",
              kept,
              Math.min(kept, settings.heldOutBatch())));
    }

    if (method == Method.SCRUB) {
      progress.accept(Scrub.describeKept(retain, heldOut, forget, settings));
    }
    if (settings.stages(goal, k) > 1) {
      progress.accept(
          String.format(
              "the request of %d instances is larger than the tuning key split (%d): it is"
                  + " forgotten in %d chained stages, %d more instances each, in one fine-tune and"
                  + " one model version",
              k, settings.split(), settings.stages(goal, k), settings.split()));
    }

    t0 = System.nanoTime();
    Importance imp = null;
    LinkedHashMap<String, float[]> original = null;
    if (method.usesImportance()) {
      original = model.parameterValues();
      imp =
          importance != null
              ? importance
              : Mas.finish(Mas.partialSums(model, forget, settings.masMode(), batchSize));
    }
    double importanceSeconds = Stopwatch.secondsSince(t0);

    t0 = System.nanoTime();
    FineTuneInputs inputs = new FineTuneInputs(boundarySet(adv), imp, original, targets);
    UnlearnSettings candidate = tried.size() > 1 ? calibrate(tried, inputs).chosen() : settings;
    FineTune done = fineTune(model, candidate, inputs, trajectory);
    if (trajectory != null && !heldOut.isEmpty()) {
      trajectory.finish(timedHeldOutAccuracy(model));
    }
    UnlearningLoop.Outcome outcome = done.outcome();
    double finetune = Stopwatch.secondsSince(t0);
    progress.accept(
        String.format(
            "fine-tune %s after %d steps (%d epochs, %.1f s): %s",
            outcome.reached() ? "reached the goal" : "FAILED",
            outcome.steps(),
            outcome.epochs(),
            finetune,
            outcome.reason()));

    t0 = System.nanoTime();
    double forgetAfter = model.accuracy(forget, batchSize);
    double testAfter = model.accuracy(measuredTest, batchSize); // NaN when not measured
    double retainAfter = model.accuracy(measuredRetain, batchSize); // NaN when not measured
    MembershipInference.Result miaAfter =
        miaBefore == null
            ? null
            : Evaluation.membership(model, forget, nonMembers, batchSize, seed);
    evaluateSeconds += Stopwatch.secondsSince(t0);

    return new UnlearningResult(
        done.settings(),
        outcome.reached(),
        outcome.reached() ? null : outcome.reason(),
        method,
        goal,
        targeting != Targeting.NONE,
        k,
        seed,
        new UnlearningResult.Accuracy(forgetBefore, forgetAfter, k),
        measuredTest.isEmpty()
            ? UnlearningResult.Accuracy.absent()
            : new UnlearningResult.Accuracy(testBefore, testAfter, measuredTest.size()),
        measuredRetain.isEmpty()
            ? UnlearningResult.Accuracy.absent()
            : new UnlearningResult.Accuracy(retainBefore, retainAfter, measuredRetain.size()),
        miaBefore,
        miaAfter,
        outcome.steps(),
        outcome.epochs(),
        adv.size(),
        adv.isEmpty() ? Double.NaN : PgdAttack.successRate(adv),
        new UnlearningResult.Seconds(
            adversarialSeconds,
            importanceSeconds,
            finetune,
            evaluateSeconds,
            Stopwatch.secondsSince(start)),
        model.device().toString());
  }

  /**
   * What one fine-tune ran with and did: the settings of its last attempt (a divergence restart
   * lowers the learning rate, see {@link #fineTune}) and the outcome, with the steps and epochs of
   * every attempt.
   */
  record FineTune(UnlearnSettings settings, UnlearningLoop.Outcome outcome) {}

  /**
   * What a calibration chose: the candidate (as given, before any divergence restart of its trial)
   * with the best score, and that score.
   */
  record Calibration(UnlearnSettings chosen, double score) {}

  /**
   * Tries every candidate setting on a copy of the model and returns the one that reached the goal
   * with the best score: accuracy on the held-out sample when one was given, else agreement with
   * the original model on the adversarial set (which encodes the original decision boundary near
   * each forgotten instance) and on two-pixel shifts of the forget images (near-duplicates that
   * should keep their class; the anchors train on one-pixel shifts only). Needs no retained data.
   */
  private Calibration calibrate(List<UnlearnSettings> candidates, FineTuneInputs in) {
    List<Sample> probes = new ArrayList<>(in.advSamples());
    probes.addAll(Anchors.probes(forget));
    int[] originalAdv = model.predict(probes, batchSize);
    UnlearnSettings best = null;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (UnlearnSettings candidate : candidates) {
      double score;
      try (Classifier copy = model.copy()) {
        UnlearningLoop.Outcome o = fineTune(copy, candidate, in, null).outcome();
        if (!heldOut.isEmpty()) {
          score = copy.accuracy(heldOut, batchSize);
        } else if (originalAdv.length > 0) {
          int[] now = copy.predict(probes, batchSize);
          int same = 0;
          for (int i = 0; i < now.length; i++) {
            same += now[i] == originalAdv[i] ? 1 : 0;
          }
          score = same / (double) now.length;
        } else {
          score = -o.steps();
        }
        if (!o.reached()) {
          score -= 10;
        }
        progress.accept(
            String.format(
                "calibration: candidate %s %s in %d steps, score %.4f (%s)",
                describe(candidate),
                o.reached() ? "reached the goal" : "did not reach the goal",
                o.steps(),
                score,
                heldOut.isEmpty()
                    ? "agreement with the original model on the adversarial set and on"
                        + " two-pixel shifts of the forget images"
                    : "held-out accuracy"));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("Cannot copy the model for calibration", e);
      }
      if (score > bestScore) {
        bestScore = score;
        best = candidate;
      }
    }
    progress.accept("calibration chose " + describe(best));
    return new Calibration(best, bestScore);
  }

  /**
   * Two lists read as one, without copying: the boundary set followed by the images it keeps at the
   * original outputs (a held-out sample can be large, stand-ins are made when read).
   */
  private static final class Joined extends java.util.AbstractList<Sample>
      implements java.util.RandomAccess {
    private final List<Sample> head;
    private final List<Sample> tail;

    Joined(List<Sample> head, List<Sample> tail) {
      this.head = head;
      this.tail = tail;
    }

    @Override
    public Sample get(int i) {
      return i < head.size() ? head.get(i) : tail.get(i - head.size());
    }

    @Override
    public int size() {
      return head.size() + tail.size();
    }
  }

  /** A one-line description of the settings that differ between candidates. */
  static String describe(UnlearnSettings s) {
    return "[batch-norm="
        + TuningOptions.spelling(s.batchNorm())
        + " anchors="
        + s.anchors()
        + " update="
        + s.update()
        + " forget-loss="
        + TuningOptions.spelling(s.forgetLoss())
        + " learning-rate="
        + s.learningRate()
        + "]";
  }

  /**
   * What every fine-tune of one run shares, whatever its settings or target model: the adversarial
   * examples, the MAS importance and the original parameters it anchors to (both null for methods
   * without the MAS term), and the per-instance targets (null when untargeted).
   */
  private record FineTuneInputs(
      List<Sample> advSamples,
      Importance importance,
      LinkedHashMap<String, float[]> original,
      int[] targets) {}

  /**
   * Fine-tunes {@code target} with {@code s}. When the loss diverges (NaN or infinite) with
   * BatchNorm frozen, the fine-tune has changed only parameters, so it restores them and starts
   * again at a third of the learning rate, up to {@value #DIVERGENCE_RETRIES} times; the steps of
   * every attempt count. Returns the settings of the last attempt with the outcome.
   */
  private FineTune fineTune(
      Classifier target, UnlearnSettings s, FineTuneInputs in, Trajectory record) {
    boolean restorable = s.batchNorm() == UnlearnSettings.BatchNormMode.FROZEN;
    LinkedHashMap<String, float[]> start = restorable ? target.parameterValues() : null;
    UnlearnSettings current = s;
    UnlearningLoop.Outcome o = fineTuneOnce(target, current, in, record, 0);
    int steps = o.steps();
    int epochs = o.epochs();
    for (int retry = 0; restorable && o.diverged() && retry < DIVERGENCE_RETRIES; retry++) {
      target.setParameterValues(start);
      current = current.toBuilder().learningRate(current.learningRate() / 3f).build();
      progress.accept(
          String.format(
              "the fine-tune diverged after %d steps (%s); restarting from the original weights"
                  + " at learning rate %.2g",
              o.steps(), o.reason(), current.learningRate()));
      o = fineTuneOnce(target, current, in, record, steps);
      steps += o.steps();
      epochs += o.epochs();
    }
    if (restorable && o.diverged()) {
      target.setParameterValues(start); // leave the model as it was, not with NaN weights
    }
    return new FineTune(
        current,
        new UnlearningLoop.Outcome(
            o.reached(), steps, epochs, o.forgetAccuracy(), o.reason(), o.diverged()));
  }

  /**
   * One fine-tune of {@code target} with {@code s}; its steps go into {@code record} (when not
   * null) numbered after {@code stepsBefore}, the steps of the attempts before it.
   */
  private UnlearningLoop.Outcome fineTuneOnce(
      Classifier target, UnlearnSettings s, FineTuneInputs in, Trajectory record, int stepsBefore) {
    if (record != null) {
      record.score(
          goal == Goal.UNSEEN
              ? "median-loss gap (held-out minus forget)"
              : in.targets() != null && !method.drawsRandomLabels()
                  ? "forget instances not yet on their target"
                  : "forget accuracy");
    }
    Scrub scrub =
        method == Method.SCRUB
            ? new Scrub(model, forget, retain, heldOut, s, seed, batchSize)
            : null;
    List<Sample> boundary = new ArrayList<>(scrub != null ? scrub.keep() : in.advSamples());
    if (method.usesAdversarialExamples()) {
      boundary.addAll(Anchors.shifted(forget, s.anchors(), model, batchSize));
    }
    int keepFrom = boundary.size();
    List<Sample> kept = kept(s);
    if (!kept.isEmpty()) {
      boundary = new Joined(boundary, kept);
    }
    float[][] teacher =
        UnlearningObjective.distills(s, method) || (method == Method.SALUN && !kept.isEmpty())
            ? UnlearningObjective.teacher(model, boundary, batchSize)
            : null;
    AnchorPenalty penalty =
        in.importance() == null ? null : new AnchorPenalty(target, in.importance(), in.original());
    try {
      UnlearningObjective objective =
          new UnlearningObjective(
                  target, s, method, goal, forget, in.targets(), boundary, teacher, penalty)
              .withScrub(scrub);
      return new UnlearningLoop(
              target,
              objective,
              s,
              method,
              goal,
              forget,
              in.targets(),
              boundary.size(),
              keepFrom,
              heldOutForStop(),
              seed,
              batchSize,
              p -> {
                if (p.stageStart()) {
                  progress.accept(stageStart(p, s, stepsBefore));
                  return;
                }
                if (record != null && p.escalatedTo() == 0) {
                  int step = stepsBefore + p.step();
                  record.add(
                      step,
                      p.loss(),
                      p.forgetAccuracy(),
                      !heldOut.isEmpty() && record.wantsHeldOut(step)
                          ? timedHeldOutAccuracy(target)
                          : Double.NaN);
                }
                if (p.skipped()) {
                  progress.accept(
                      String.format(
                          "step %d: the loss (%s) or its gradient was not finite; the update was"
                              + " not applied, the weights stay as they were (%d such steps in a"
                              + " row end the fine-tune as diverged)",
                          p.step(), p.loss(), UnlearningLoop.NON_FINITE_LIMIT));
                } else if (p.escalatedTo() > 0) {
                  progress.accept(
                      String.format(
                          "step %d: no progress for %d steps, forget weight now %.0f",
                          p.step(), s.escalate(), p.escalatedTo()));
                } else if (p.step() <= 5 || p.step() % 10 == 0) {
                  progress.accept(
                      String.format(
                          "step %d epoch %d loss %.4f %s %.4f",
                          p.step(),
                          p.epoch(),
                          p.loss(),
                          goal == Goal.UNSEEN ? "median-loss gap" : "forget remaining",
                          p.forgetAccuracy()));
                }
              })
          .stopWhen(stopRequested)
          .run();
    } finally {
      if (penalty != null) {
        penalty.close();
      }
    }
  }

  /** The progress line of a chained fine-tune's stage start ({@link UnlearningLoop#run()}). */
  private String stageStart(UnlearningLoop.Progress p, UnlearnSettings s, int stepsBefore) {
    String from =
        s.batchNorm() == UnlearnSettings.BatchNormMode.FROZEN
            ? ", from the weights of its best step"
            : "";
    String instances = p.carried() + (p.carried() == 1 ? " instance" : " instances");
    return String.format(
        "stage %d of %d%s: forgetting instances 1-%d of %d (tuning key split: %d more per stage),"
            + " after %d steps%s",
        p.stage(),
        p.stages(),
        p.again() ? " once more" : "",
        p.active(),
        forget.size(),
        s.split(),
        stepsBefore + p.step(),
        p.again()
            ? "; its first attempt stopped short of its goal with "
                + instances
                + " not yet forgotten, and this one starts"
                + (from.isEmpty() ? " where it ended" : from.substring(1))
            : p.carried() == 0
                ? ""
                : String.format(
                    "; stage %d stopped short of its goal and hands on %s not yet forgotten%s",
                    p.stage() - 1, instances, from));
  }

  /**
   * Accuracy of {@code target} on (at most {@link Trajectory#HELD_OUT_IMAGES} of) the held-out
   * images, its seconds counted in the trajectory.
   */
  private double timedHeldOutAccuracy(Classifier target) {
    long t0 = System.nanoTime();
    double accuracy =
        target.accuracy(
            heldOut.subList(0, Math.min(heldOut.size(), Trajectory.HELD_OUT_IMAGES)), batchSize);
    trajectory.measured(Stopwatch.secondsSince(t0));
    return accuracy;
  }

  /**
   * Why {@code settings} cannot run toward {@code goal} (begins with the key and value, for a
   * message that starts "Cannot use "), or null when they can.
   */
  public static String goalProblem(Goal goal, UnlearnSettings settings) {
    return goal == Goal.UNSEEN && settings.split() > 0
        ? "tuning key split="
            + settings.split()
            + " with goal unseen: it judges the forget set as a whole, in one fine-tune; set"
            + " split=0 or choose goal misclassify"
        : null;
  }

  private void validate() {
    if (method.usesRetainSample() && retain.isEmpty()) {
      throw new SettingException(
          RETAIN,
          "Cannot run method retain: it needs a sample of retained training data; give one "
              + SettingException.named(RETAIN));
    }
    if (goal == Goal.UNSEEN && heldOut.size() < 2) {
      throw new SettingException(
          HELD_OUT,
          "Cannot unlearn toward goal unseen: it needs a held-out sample of data the model never"
              + " saw (at least 2 images); give one "
              + SettingException.named(HELD_OUT));
    }
    if (goal == Goal.UNSEEN && targeting != Targeting.NONE) {
      throw new IllegalArgumentException(
          "Cannot combine goal unseen with a target class: relabelling is a misclassify goal");
    }
    if (method.drawsRandomLabels() && targeting != Targeting.NONE) {
      throw new IllegalArgumentException(
          "Cannot combine method "
              + method.cliName()
              + " with a target class: it picks its own labels");
    }
    if (method == Method.SCRUB && targeting != Targeting.NONE) {
      throw new IllegalArgumentException(
          "Cannot combine method scrub with a target class: it moves the forget set away from the"
              + " original outputs, toward no class; drop the target or choose another method");
    }
    for (UnlearnSettings s : candidates != null ? candidates : List.<UnlearnSettings>of()) {
      String problem = goalProblem(goal, s);
      if (problem != null) {
        throw new IllegalArgumentException("Cannot use " + problem);
      }
    }
    if (targeting == Targeting.FIXED) {
      for (Sample s : forget) {
        if (s.label() == targetClass) {
          throw new SettingException(
              TARGET_CLASS,
              "Cannot relabel instance "
                  + s.id()
                  + " to class "
                  + targetClass
                  + ": that is already its label; choose another target class "
                  + SettingException.named(TARGET_CLASS)
                  + " or each instance's runner-up class "
                  + SettingException.named(TARGETED));
        }
      }
    }
  }

  private int[] targets() {
    int k = forget.size();
    int classes = model.spec().numClasses();
    switch (targeting) {
      case FIXED:
        int[] fixed = new int[k];
        java.util.Arrays.fill(fixed, targetClass);
        return fixed;
      case RUNNER_UP:
        float[][] logits = model.logits(forget, batchSize);
        int[] runnerUp = new int[k];
        for (int i = 0; i < k; i++) {
          int y = forget.get(i).label();
          int best = -1;
          for (int c = 0; c < classes; c++) {
            if (c != y && (best < 0 || logits[i][c] > logits[i][best])) {
              best = c;
            }
          }
          runnerUp[i] = best;
        }
        return runnerUp;
      default:
        if (method.drawsRandomLabels()) {
          int[] random = new int[k];
          for (int i = 0; i < k; i++) {
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
            int t = r.nextInt(classes - 1);
            random[i] = t >= forget.get(i).label() ? t + 1 : t;
          }
          return random;
        }
        return null;
    }
  }

  private List<Sample> boundarySet(List<AdversarialExample> adv) {
    if (method.usesRetainSample() || method == Method.SALUN) {
      return retain;
    }
    List<Sample> out = new ArrayList<>(adv.size());
    for (AdversarialExample a : adv) {
      out.add(new Sample(a.sourceId() + "#adv" + a.index(), a.target(), a.shape(), a.pixels()));
    }
    return out;
  }

  /**
   * The images a fine-tune with {@code s} holds at the original model's outputs besides the
   * boundary set: the held-out sample; without one the retain sample (real images like the model's
   * inputs: on the demo model they kept as much test accuracy as held-out images, docs/DEFAULTS.md,
   * "Without a held-out sample"); without either the stand-ins (none from fewer than two forget
   * instances); none when the fine-tune does not distil or {@code heldOutBatch} is 0. Method salun
   * holds them only when it has no retain sample (which it trains on instead).
   */
  private List<Sample> kept(UnlearnSettings s) {
    if (!holdsKept(method, s, !retain.isEmpty())) {
      return List.of();
    }
    if (!heldOut.isEmpty()) {
      return heldOut;
    }
    return retain.isEmpty() ? StandIns.mixtures(forget, s, seed) : retain;
  }

  private static boolean holdsKept(Method method, UnlearnSettings s, boolean hasRetain) {
    // SalUn keeps its retain sample; without one, these stand in for it (ALGORITHM.md 5).
    boolean holds = method == Method.SALUN ? !hasRetain : UnlearningObjective.distills(s, method);
    return holds && s.heldOutBatch() > 0;
  }

  /**
   * Whether a run of {@code method} toward {@code goal} with settings {@code s} puts a held-out
   * sample to use when it has one: goal unseen's stop rule; the images a distilling fine-tune holds
   * at the original outputs; SCRUB's min-steps without a retain sample ({@code hasRetain}). Where
   * it does and the run has none, the fine-tune holds the retain sample or else stand-ins instead
   * (goal unseen refuses).
   */
  public static boolean usesHeldOut(
      Method method, Goal goal, UnlearnSettings s, boolean hasRetain) {
    return goal == Goal.UNSEEN
        || (method == Method.SCRUB && !hasRetain)
        || holdsKept(method, s, hasRetain);
  }

  private List<Sample> heldOutForStop() {
    if (goal != Goal.UNSEEN) {
      return List.of();
    }
    return heldOut.size() <= 512 ? heldOut : heldOut.subList(0, 512);
  }
}
