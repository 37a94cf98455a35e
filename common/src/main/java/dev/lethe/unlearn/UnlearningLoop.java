package dev.lethe.unlearn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.lethe.data.Sample;
import dev.lethe.model.Classifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The fine-tune of ALGORITHM.md section 4, the loop only: forget batches cycled against batches of
 * adversarial examples (or retain samples) and of held-out images, one SGD step each on the {@link
 * UnlearningObjective}, the forget set evaluated in eval mode after every step, the forget weight
 * escalated while progress stalls, stopping at the goal or failing at the epoch cap; a request
 * larger than {@link UnlearnSettings#split()} runs as chained stages of that loop (section 4.11).
 */
final class UnlearningLoop {

  /**
   * Steps in a row whose loss or gradient is not finite before the fine-tune counts as diverged. A
   * single such step is skipped, its update not applied: on this project's CPUs a step of an
   * otherwise steady fine-tune now and then gave NaN (docs/BENCHMARKS.md, "Large requests"), and
   * applying it made every weight NaN. A real divergence (weights blown up) repeats every step.
   */
  static final int NON_FINITE_LIMIT = 3;

  /** Attempts of the last stage of a chained fine-tune (see {@link #run()}). */
  static final int LAST_STAGE_ATTEMPTS = 2;

  /**
   * One step's numbers; {@code escalatedTo} is the forget term's new weight when this step doubled
   * it (see {@link UnlearnSettings#escalate()}), else 0. A chained fine-tune ({@link
   * UnlearnSettings#split()}) also reports the start of each stage: {@code stage} of {@code stages}
   * (else 0), on the first {@code active} instances, after {@code step} steps, with {@code carried}
   * instances not yet forgotten handed on by the stage before, or with {@code again} by this
   * stage's first attempt, when that stopped short of its goal (see {@link #run()}).
   */
  record Progress(
      int step,
      int epoch,
      double loss,
      double forgetAccuracy,
      float escalatedTo,
      int stage,
      int stages,
      int active,
      int carried,
      boolean again,
      boolean skipped) {
    Progress(int step, int epoch, double loss, double forgetAccuracy, float escalatedTo) {
      this(step, epoch, loss, forgetAccuracy, escalatedTo, 0, 0, 0, 0, false, false);
    }

    /**
     * A step whose loss or gradient was not finite: its update was not applied, the weights are
     * those of the step before ({@code forgetAccuracy} is theirs).
     */
    static Progress skipped(int step, int epoch, double loss, double forgetAccuracy) {
      return new Progress(step, epoch, loss, forgetAccuracy, 0f, 0, 0, 0, 0, false, true);
    }

    /** Whether this reports the start of stage {@code stage} of a chained fine-tune, not a step. */
    boolean stageStart() {
      return stage > 0;
    }
  }

  /** What the loop did. */
  record Outcome(
      boolean reached,
      int steps,
      int epochs,
      double forgetAccuracy,
      String reason,
      boolean diverged) {
    Outcome(boolean reached, int steps, int epochs, double forgetAccuracy, String reason) {
      this(reached, steps, epochs, forgetAccuracy, reason, false);
    }
  }

  private final Classifier model;
  private final UnlearningObjective objective;
  private final UnlearnSettings settings;
  private final Method method;
  private final Goal goal;
  private final List<Sample> forget;
  private final int[] targets;
  private final int boundarySize;
  private final int keepFrom;
  private final List<Sample> heldOut;
  private final long seed;
  private final int evalBatch;
  private final Consumer<Progress> listener;
  private BooleanSupplier stopRequested = () -> false;
  private float forgetWeight;

  /**
   * The instances not yet forgotten (or not yet on target) at the last evaluation, in request
   * order, for {@link UnlearnSettings#unforgottenFirst()}; null before the first and for goal
   * unseen.
   */
  private int[] unforgotten;

  private final ForgetBatches forgetBatches;

  /**
   * Goal unseen: the held-out sample's median logit gap (own class against the best other) at the
   * last evaluation, which the objective's margin forget term aims at. The forget term pushes an
   * instance's gap only to this level less the margin, not past the boundary: it should look like
   * unseen data, which the model mostly still classifies correctly.
   */
  private float unseenGap = Float.NaN;

  /**
   * Goal unseen: how many points of held-out accuracy a fine-tune may lose, beyond one image's
   * worth, before it counts as breaking the model rather than forgetting. A broken model makes
   * every image look unseen (the forget set's losses rise to the held-out ones because both rise),
   * so without this the stop rule called a model at 19-32 % test accuracy "unseen" and it was
   * published (SCRUB at k = 64, docs/BENCHMARKS.md); the model retrained without the forget set
   * keeps the original's accuracy.
   */
  static final double UNSEEN_HELD_OUT_DROP = 0.10;

  /** Goal unseen: the held-out accuracy at the loop's first evaluation, and at its last. */
  private double heldOutStart = Double.NaN;

  private double heldOutNow = Double.NaN;

  /**
   * @param objective the loss of a step, on the same model, forget set and boundary set
   * @param forget the forget set with its true labels
   * @param targets per forget instance, the class to move it to (targeted, or random-label), else
   *     null
   * @param boundarySize the size of the objective's boundary set: the adversarial examples (or the
   *     retain sample; none for methods without one), then from index {@code keepFrom} on the
   *     held-out images (or their stand-ins) kept at the original outputs ({@link
   *     UnlearnSettings#heldOutBatch()} per step, cycled apart from the rest)
   * @param keepFrom where the held-out part of the boundary set begins ({@code boundarySize} when
   *     there is none)
   * @param heldOut data the model never saw, for the UNSEEN goal, else empty
   */
  UnlearningLoop(
      Classifier model,
      UnlearningObjective objective,
      UnlearnSettings settings,
      Method method,
      Goal goal,
      List<Sample> forget,
      int[] targets,
      int boundarySize,
      int keepFrom,
      List<Sample> heldOut,
      long seed,
      int evalBatch,
      Consumer<Progress> listener) {
    this.model = model;
    this.objective = objective;
    this.settings = settings;
    this.method = method;
    this.goal = goal;
    this.forget = forget;
    this.targets = targets;
    this.boundarySize = boundarySize;
    this.keepFrom = keepFrom;
    this.heldOut = heldOut;
    this.seed = seed;
    this.evalBatch = evalBatch;
    this.listener = listener;
    this.forgetBatches = new ForgetBatches(settings.unforgottenFirst());
  }

  /**
   * Asked before every step: when it answers true the fine-tune ends between two steps with a
   * {@link CancellationException}, never inside libtorch (a JVM that exits while a thread is in
   * libtorch can crash in its static destructors).
   */
  UnlearningLoop stopWhen(BooleanSupplier value) {
    this.stopRequested = value;
    return this;
  }

  /**
   * Runs the stages. In a chained fine-tune (more than one stage) a stage that stops short of its
   * goal (at the escalation ceiling or the epoch cap, not diverged) does not end the run: with
   * frozen BatchNorm it goes back to the weights of its best step (the fewest of its instances not
   * yet forgotten), and the next stage, whose prefix holds every earlier instance, starts from
   * there with a fresh optimiser and the forget weight at its start value. The last stage, whose
   * prefix is the whole request, does the same once more on itself: it runs up to {@value
   * #LAST_STAGE_ATTEMPTS} times, and the run fails only when its last attempt stops short.
   */
  Outcome run() {
    int k = forget.size();
    int size = settings.stageSize(goal, k);
    int stages = settings.stages(goal, k);
    boolean restorable = stages > 1 && settings.batchNorm() == UnlearnSettings.BatchNormMode.FROZEN;
    int steps = 0;
    int epochs = 0;
    int carried = 0;
    int shortStages = 0;
    int lastAttempts = 0;
    Outcome o = null;
    for (int stage = 1; stage <= stages; stage++) {
      int active = Math.min(k, stage * size);
      boolean last = stage == stages;
      boolean again = last && lastAttempts > 0;
      if (last) {
        lastAttempts++;
      }
      if (stages > 1 && listener != null) {
        listener.accept(
            new Progress(
                steps,
                0,
                Double.NaN,
                Double.NaN,
                0f,
                stage,
                stages,
                active,
                carried,
                again,
                false));
      }
      o = stage(active, steps, restorable);
      steps += o.steps();
      epochs += o.epochs();
      if (o.reached()) {
        carried = 0;
        continue;
      }
      if (stages > 1 && !o.diverged() && (!last || lastAttempts < LAST_STAGE_ATTEMPTS)) {
        carried = (int) Math.round(o.forgetAccuracy() * active);
        shortStages++;
        if (last) {
          stage--; // the last stage once more
        }
        continue;
      }
      String where =
          stages > 1
              ? String.format(
                  "stage %d of %d (instances 1-%d)%s: ",
                  stage, stages, active, lastAttempts > 1 ? ", attempt " + lastAttempts : "")
              : "";
      return new Outcome(
          false, steps, epochs, o.forgetAccuracy(), where + o.reason(), o.diverged());
    }
    String reason =
        shortStages == 0
            ? o.reason()
            : String.format(
                "%s (%d stage attempt%s of %d stages stopped short and handed their unforgotten"
                    + " instances on)",
                o.reason(), shortStages, shortStages == 1 ? "" : "s", stages);
    return new Outcome(true, steps, epochs, o.forgetAccuracy(), reason, false);
  }

  /**
   * One fine-tune on the first {@code k} instances of the forget set, from the model's current
   * weights, with a fresh optimiser and the forget weight at its start value; its steps are
   * reported numbered after {@code stepsBefore}. With {@code keepBest}, a stage that stops short of
   * its goal (not diverged) leaves the model at the weights of its best step and reports that
   * step's score.
   */
  private Outcome stage(int k, int stepsBefore, boolean keepBest) {
    int forgetBatch = Math.min(settings.forgetBatch(), k);
    int boundaryBatch = Math.min(settings.adversarialBatch(), Math.max(1, keepFrom));
    int stepsPerEpoch =
        keepFrom == 0 ? ceilDiv(k, forgetBatch) : ceilDiv(keepFrom, settings.adversarialBatch());
    int keepBatch = Math.min(settings.heldOutBatch(), boundarySize - keepFrom);
    double accuracy = forgetScore(k);
    if (reached(accuracy)) {
      return new Outcome(true, 0, 0, accuracy, "goal already met before any step");
    }
    Random shuffler = new Random(seed);
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < keepFrom; i++) {
      order.add(i);
    }
    List<Integer> keepOrder = new ArrayList<>();
    for (int i = keepFrom; i < boundarySize; i++) {
      keepOrder.add(i);
    }
    int keepCursor = keepOrder.size();
    ForgetBatches batches = forgetBatches.startStage(k);
    int step = 0;
    int nonFinite = 0;
    forgetWeight = settings.forgetWeight();
    double best = accuracy;
    int lastProgress = 0;
    Classifier.Mode mode =
        settings.batchNorm() == UnlearnSettings.BatchNormMode.TRAIN
            ? Classifier.Mode.TRAIN
            : Classifier.Mode.EVAL_WITH_GRAD;
    model.zeroGradients();
    java.util.Set<String> updated = updatedParameters(model, settings.update());
    BestWeights bestWeights = keepBest ? new BestWeights(model, updated) : null;
    try (Classifier.Frozen frozen = model.freezeAllBut(updated);
        Sgd sgd =
            new Sgd(
                model,
                updated,
                settings.learningRate(),
                settings.momentum(),
                settings.weightDecay(),
                method == Method.SALUN
                    ? SalUn.mask(
                        model, forget.subList(0, k), updated, settings.salunFraction(), evalBatch)
                    : null)) {
      for (int epoch = 0; epoch < settings.maxEpochs(); epoch++) {
        Collections.shuffle(order, shuffler);
        // Method scrub: a pass of max-steps (forget rows only), then one of min-steps (the rest).
        int maxSteps = method == Method.SCRUB ? Scrub.maxSteps(settings, epoch, k, forgetBatch) : 0;
        int steps =
            method == Method.SCRUB
                ? maxSteps + ceilDiv(keepFrom, settings.adversarialBatch())
                : stepsPerEpoch;
        for (int b = 0; b < steps; b++) {
          if (stopRequested.getAsBoolean()) {
            throw new CancellationException(
                "the fine-tune was asked to stop after step " + (stepsBefore + step));
          }
          boolean scrubMin = method == Method.SCRUB && b >= maxSteps;
          boolean scrubMax = method == Method.SCRUB && !scrubMin;
          int[] fIdx = batches.next(scrubMin ? 0 : forgetBatch, unforgotten);
          List<Integer> bList = new ArrayList<>();
          if (keepFrom > 0 && !scrubMax) {
            int from = (b - maxSteps) * settings.adversarialBatch();
            bList.addAll(order.subList(from, Math.min(order.size(), from + boundaryBatch)));
          }
          for (int i = 0; i < keepBatch; i++) {
            if (keepCursor == keepOrder.size()) {
              Collections.shuffle(keepOrder, shuffler);
              keepCursor = 0;
            }
            bList.add(keepOrder.get(keepCursor++));
          }
          int[] bIdx = bList.stream().mapToInt(Integer::intValue).toArray();
          double loss = step(fIdx, bIdx, mode);
          boolean applied = Double.isFinite(loss) ? sgd.step() : sgd.discard();
          step++;
          if (!applied) {
            nonFinite++;
            if (listener != null) {
              listener.accept(Progress.skipped(stepsBefore + step, epoch + 1, loss, accuracy));
            }
            if (nonFinite >= NON_FINITE_LIMIT) {
              return diverged(
                  step,
                  epoch + 1,
                  accuracy,
                  String.format(
                      "%s became non-finite in %d steps in a row; lower the learning rate",
                      Double.isFinite(loss) ? "the loss's gradient" : "the loss (" + loss + ")",
                      nonFinite));
            }
            continue;
          }
          nonFinite = 0;
          accuracy = forgetScore(k);
          if (listener != null) {
            listener.accept(new Progress(stepsBefore + step, epoch + 1, loss, accuracy, 0f));
          }
          if (goal == Goal.UNSEEN
              && heldOutNow < heldOutStart - UNSEEN_HELD_OUT_DROP - 1.0 / heldOut.size()) {
            // Counted as diverged: Lethe starts again from the original weights at a lower rate.
            return diverged(
                step,
                epoch + 1,
                accuracy,
                String.format(
                    "held-out accuracy fell from %.1f %% to %.1f %% (more than %.0f points): the"
                        + " model was breaking down, not forgetting, and a broken model makes"
                        + " every image look unseen; lower the learning rate%s",
                    100 * heldOutStart,
                    100 * heldOutNow,
                    100 * UNSEEN_HELD_OUT_DROP,
                    method == Method.L2UL ? "" : ", or use method l2ul"));
          }
          if (reached(accuracy)) {
            return new Outcome(true, step, epoch + 1, accuracy, "goal reached");
          }
          if (accuracy < best) {
            best = accuracy;
            lastProgress = step;
            if (bestWeights != null) {
              bestWeights.take();
            }
          } else if (settings.escalate() > 0 && step - lastProgress >= settings.escalate()) {
            if (settings.escalateMax() > 0 && forgetWeight * 2 > settings.escalateMax()) {
              return new Outcome(
                  false,
                  step,
                  epoch + 1,
                  restoreBest(bestWeights, best, accuracy),
                  String.format(
                      "no progress for %d steps at the highest forget weight (%s), with %s;"
                          + " stopping rather than pushing on, which collapsed the model in"
                          + " our benchmark; to push harder, raise the ceiling (--set"
                          + " escalate-max=%s, at some cost in test accuracy)%s",
                      settings.escalate(),
                      formatWeight(forgetWeight),
                      goal == Goal.UNSEEN
                          ? String.format("the median-loss gap at %.4f", accuracy)
                          : String.format(
                              "%.1f %% of %s not yet forgotten%s",
                              100 * accuracy,
                              k == forget.size()
                                  ? "the forget set"
                                  : "the stage's " + k + " instances",
                              bestWeights == null
                                  ? ""
                                  : String.format(
                                      " (%.1f %% at its best step, whose weights it keeps)",
                                      100 * best)),
                      formatWeight(settings.escalateMax() * 4),
                      smallerStages(k)));
            }
            forgetWeight *= 2;
            lastProgress = step;
            if (listener != null) {
              listener.accept(
                  new Progress(stepsBefore + step, epoch + 1, loss, accuracy, forgetWeight));
            }
          }
        }
      }
    }
    return new Outcome(
        false,
        step,
        settings.maxEpochs(),
        restoreBest(bestWeights, best, accuracy),
        "the cap of "
            + settings.maxEpochs()
            + " epochs was reached with the goal unmet; raise the tuning key max-epochs or learning-rate");
  }

  /** A forget weight as an option takes it: {@code 32}, not {@code 32.0}. */
  private static String formatWeight(double weight) {
    return weight == Math.rint(weight) ? Long.toString((long) weight) : Double.toString(weight);
  }

  /**
   * A fine-tune that broke down (a non-finite loss, or goal unseen's held-out accuracy falling):
   * {@link Unlearning} starts such a one again from the original weights at a lower rate.
   */
  private static Outcome diverged(int steps, int epochs, double score, String reason) {
    return new Outcome(false, steps, epochs, score, reason, true);
  }

  /**
   * Puts the model back at the best step's weights when they were kept and returns that step's
   * score; else returns {@code current}, the score of the weights the model has.
   */
  private static double restoreBest(BestWeights kept, double best, double current) {
    if (kept == null) {
      return current;
    }
    kept.restore();
    return best;
  }

  /**
   * A copy of a stage's updated parameters at its best step so far (at its start until a step
   * improves on it), to go back to when the stage stops short; the other parameters do not change.
   */
  private static final class BestWeights {
    private final Classifier model;
    private final java.util.Set<String> names;
    private final java.util.LinkedHashMap<String, float[]> values = new java.util.LinkedHashMap<>();

    BestWeights(Classifier model, java.util.Set<String> names) {
      this.model = model;
      this.names = names;
      take();
    }

    void take() {
      for (String n : names) {
        values.put(n, model.parameters().get(n).toFloatArray());
      }
    }

    void restore() {
      model.setParameterValues(values);
    }
  }

  /** One forward/backward of the objective on a forget batch and a boundary batch. */
  private double step(int[] fIdx, int[] bIdx, Classifier.Mode mode) {
    try (NDManager m = model.newBatchManager();
        NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray total = objective.loss(m, mode, fIdx, bIdx, forgetWeight, unseenGap);
      Classifier.backward(total);
      return total.getFloat();
    }
  }

  /**
   * The hint to forget in smaller stages: half the stage size this run used (half the request when
   * it ran as one stage), or nothing when stages cannot be smaller or do not apply (goal unseen
   * judges the forget set as a whole and never splits). Half the stage's prefix would be wrong in a
   * chained run: the last stage's prefix is the whole request, so half of it is larger than the
   * stages that ran.
   */
  private String smallerStages(int k) {
    if (goal == Goal.UNSEEN) {
      return "";
    }
    int size = Math.min(k, settings.stageSize(goal, forget.size()));
    return size > 1 ? " or forget in smaller stages (--set split=" + size / 2 + ")" : "";
  }

  /**
   * The number the stop rule watches: forget accuracy (untargeted), the fraction NOT yet on target
   * (targeted), or for UNSEEN the held-out median loss minus the forget median loss (stop at <= 0);
   * for UNSEEN it also records the held-out median logit gap the margin loss aims at ({@link
   * #unseenGap}).
   */
  private double forgetScore(int k) {
    if (goal == Goal.UNSEEN) {
      float[][] f = UnlearningObjective.lossAndGap(model, forget, evalBatch);
      float[][] h = UnlearningObjective.lossAndGap(model, heldOut, evalBatch);
      unseenGap = (float) median(column(h, 1));
      int right = 0;
      for (float[] row : h) {
        right += row[1] > 0 ? 1 : 0; // own class's logit above every other's
      }
      heldOutNow = right / (double) h.length;
      if (Double.isNaN(heldOutStart)) {
        heldOutStart = heldOutNow;
      }
      return median(column(h, 0)) - median(column(f, 0));
    }
    int[] pred = model.predict(forget.subList(0, k), evalBatch);
    int wrong = 0;
    int[] left = new int[pred.length];
    for (int i = 0; i < pred.length; i++) {
      boolean done =
          targets != null && !method.drawsRandomLabels()
              ? pred[i] == targets[i]
              : pred[i] != forget.get(i).label();
      if (!done) {
        left[wrong++] = i;
      }
    }
    unforgotten = Arrays.copyOf(left, wrong);
    return wrong / (double) pred.length;
  }

  private boolean reached(double score) {
    return score <= 0;
  }

  /**
   * The parameters an {@code update} setting selects: all, weights (every tensor of two or more
   * dimensions: convolution and linear weights, no biases or normalisation scales), the head (the
   * last tensor with two or more dimensions in module order, and every tensor after it), or those
   * whose names match a regular expression.
   */
  static java.util.Set<String> updatedParameters(Classifier model, String update) {
    List<String> names = new ArrayList<>(model.parameters().keySet());
    java.util.LinkedHashSet<String> out = new java.util.LinkedHashSet<>();
    if (update.equals("all")) {
      out.addAll(names);
    } else if (update.equals("weights")) {
      for (String n : names) {
        if (model.parameters().get(n).getShape().dimension() >= 2) {
          out.add(n);
        }
      }
    } else if (update.equals("head")) {
      int last = 0;
      for (int i = 0; i < names.size(); i++) {
        if (model.parameters().get(names.get(i)).getShape().dimension() >= 2) {
          last = i;
        }
      }
      out.addAll(names.subList(last, names.size()));
    } else {
      java.util.regex.Pattern p = java.util.regex.Pattern.compile(update);
      for (String n : names) {
        if (p.matcher(n).find()) {
          out.add(n);
        }
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot use update '"
              + update
              + "': it selects none of the model's parameters "
              + names
              + "; use all, head or a regex that matches some");
    }
    return out;
  }

  private static double[] column(float[][] rows, int c) {
    double[] out = new double[rows.length];
    for (int i = 0; i < rows.length; i++) {
      out[i] = rows[i][c];
    }
    return out;
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }
}
