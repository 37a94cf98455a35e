package dev.lethe.unlearn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.lethe.data.Sample;
import dev.lethe.importance.AnchorPenalty;
import dev.lethe.model.Classifier;
import dev.lethe.model.Losses;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The fine-tune of ALGORITHM.md section 4: forget batches cycled against batches of adversarial
 * examples (or retain samples), one SGD step each, the forget set evaluated in eval mode after
 * every step, stopping at the goal or failing at the epoch cap.
 */
final class UnlearningLoop {

  /** One progress line's worth of numbers. */
  /**
   * One step's numbers; {@code escalatedTo} is the forget term's new weight when this step doubled
   * it (see {@link UnlearnSettings#escalate()}), else 0.
   */
  record Progress(int step, int epoch, double loss, double forgetAccuracy, float escalatedTo) {}

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
  private final UnlearnSettings settings;
  private final Method method;
  private final Goal goal;
  private final List<Sample> forget;
  private final int[] targets;
  private final List<Sample> boundary;
  private final int keepFrom;
  private final float[][] teacher;
  private final AnchorPenalty penalty;
  private final List<Sample> heldOut;
  private final long seed;
  private final int evalBatch;
  private final Consumer<Progress> listener;
  private float forgetWeight;

  /**
   * Goal unseen with the margin loss: the held-out sample's median logit gap (own class against the
   * best other) at the last evaluation. The forget term pushes an instance's gap only to this level
   * less the margin, not past the boundary: it should look like unseen data, which the model mostly
   * still classifies correctly.
   */
  private float unseenGap = Float.NaN;

  /**
   * @param forget the forget set with its true labels
   * @param targets per forget instance, the class to move it to (targeted, or random-label), else
   *     null
   * @param boundary the adversarial examples labelled with their adversarial class, or the retain
   *     sample; empty for methods without one. From index {@code keepFrom} on, held-out images (or
   *     their stand-ins) kept at the original outputs ({@link UnlearnSettings#heldOutBatch()} per
   *     step, cycled apart from the rest)
   * @param keepFrom where the held-out part of {@code boundary} begins ({@code boundary.size()}
   *     when there is none)
   * @param teacher the original model's softmax on each boundary example (for DISTILL), else null
   * @param penalty the MAS anchor (l2ul), else null
   * @param heldOut data the model never saw, for the UNSEEN goal, else empty
   */
  UnlearningLoop(
      Classifier model,
      UnlearnSettings settings,
      Method method,
      Goal goal,
      List<Sample> forget,
      int[] targets,
      List<Sample> boundary,
      int keepFrom,
      float[][] teacher,
      AnchorPenalty penalty,
      List<Sample> heldOut,
      long seed,
      int evalBatch,
      Consumer<Progress> listener) {
    this.model = model;
    this.settings = settings;
    this.method = method;
    this.goal = goal;
    this.forget = forget;
    this.targets = targets;
    this.boundary = boundary;
    this.keepFrom = keepFrom;
    this.teacher = teacher;
    this.penalty = penalty;
    this.heldOut = heldOut;
    this.seed = seed;
    this.evalBatch = evalBatch;
    this.listener = listener;
  }

  Outcome run() {
    int k = forget.size();
    int forgetBatch = Math.min(settings.forgetBatch(), k);
    int boundaryBatch = Math.min(settings.adversarialBatch(), Math.max(1, keepFrom));
    int stepsPerEpoch =
        keepFrom == 0 ? ceilDiv(k, forgetBatch) : ceilDiv(keepFrom, settings.adversarialBatch());
    int keepBatch = Math.min(settings.heldOutBatch(), boundary.size() - keepFrom);
    double accuracy = forgetScore();
    if (reached(accuracy)) {
      return new Outcome(true, 0, 0, accuracy, "goal already met before any step");
    }
    Random shuffler = new Random(seed);
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < keepFrom; i++) {
      order.add(i);
    }
    List<Integer> keepOrder = new ArrayList<>();
    for (int i = keepFrom; i < boundary.size(); i++) {
      keepOrder.add(i);
    }
    int keepCursor = keepOrder.size();
    int forgetCursor = 0;
    int step = 0;
    forgetWeight = settings.forgetWeight();
    double best = accuracy;
    int lastProgress = 0;
    Classifier.Mode mode =
        settings.batchNorm() == UnlearnSettings.BatchNormMode.TRAIN
            ? Classifier.Mode.TRAIN
            : Classifier.Mode.EVAL_WITH_GRAD;
    model.zeroGradients();
    java.util.Set<String> updated = updatedParameters(model, settings.update());
    try (Classifier.Frozen frozen = model.freezeAllBut(updated);
        Sgd sgd =
            new Sgd(
                model,
                updated,
                settings.learningRate(),
                settings.momentum(),
                settings.weightDecay())) {
      for (int epoch = 0; epoch < settings.maxEpochs(); epoch++) {
        Collections.shuffle(order, shuffler);
        for (int b = 0; b < stepsPerEpoch; b++) {
          int[] fIdx = new int[forgetBatch];
          for (int i = 0; i < forgetBatch; i++) {
            fIdx[i] = forgetCursor;
            forgetCursor = (forgetCursor + 1) % k;
          }
          List<Integer> bList = new ArrayList<>();
          if (keepFrom > 0) {
            int from = b * settings.adversarialBatch();
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
          sgd.step();
          step++;
          accuracy = forgetScore();
          if (listener != null) {
            listener.accept(new Progress(step, epoch + 1, loss, accuracy, 0f));
          }
          if (!Double.isFinite(loss)) {
            return new Outcome(
                false,
                step,
                epoch + 1,
                accuracy,
                "the loss became " + loss + "; lower the learning rate",
                true);
          }
          if (reached(accuracy)) {
            return new Outcome(true, step, epoch + 1, accuracy, "goal reached");
          }
          if (accuracy < best) {
            best = accuracy;
            lastProgress = step;
          } else if (settings.escalate() > 0 && step - lastProgress >= settings.escalate()) {
            if (settings.escalateMax() > 0 && forgetWeight * 2 > settings.escalateMax()) {
              return new Outcome(
                  false,
                  step,
                  epoch + 1,
                  accuracy,
                  String.format(
                      "no progress for %d steps at the highest forget weight (%s), with %s;"
                          + " stopping rather than pushing on, which collapsed the model in"
                          + " our benchmark: split the request into smaller ones, or raise the"
                          + " escalate-max tuning option",
                      settings.escalate(),
                      forgetWeight,
                      goal == Goal.UNSEEN
                          ? String.format("the median-loss gap at %.4f", accuracy)
                          : String.format(
                              "%.1f %% of the forget set not yet forgotten", 100 * accuracy)));
            }
            forgetWeight *= 2;
            lastProgress = step;
            if (listener != null) {
              listener.accept(new Progress(step, epoch + 1, loss, accuracy, forgetWeight));
            }
          }
        }
      }
    }
    return new Outcome(
        false,
        step,
        settings.maxEpochs(),
        accuracy,
        "the cap of "
            + settings.maxEpochs()
            + " epochs was reached with the goal unmet; raise maxEpochs or the learning rate");
  }

  /** One forward/backward on a forget batch and a boundary batch; returns the loss. */
  private double step(int[] fIdx, int[] bIdx, Classifier.Mode mode) {
    try (NDManager m = model.newBatchManager();
        NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      List<Sample> batch = new ArrayList<>(fIdx.length + bIdx.length);
      long[] forgetLabels = new long[fIdx.length];
      long[] forgetTargets = new long[fIdx.length];
      for (int i = 0; i < fIdx.length; i++) {
        Sample s = forget.get(fIdx[i]);
        batch.add(s);
        forgetLabels[i] = s.label();
        forgetTargets[i] = targets == null ? -1 : targets[fIdx[i]];
      }
      for (int i : bIdx) {
        batch.add(boundary.get(i));
      }
      int nf = fIdx.length;
      NDArray zf;
      NDArray zb = null;
      if (settings.separateBatches() && bIdx.length > 0) {
        zf = model.forward(model.batch(m, batch.subList(0, nf)), mode);
        zb = model.forward(model.batch(m, batch.subList(nf, batch.size())), mode);
      } else {
        NDArray logits = model.forward(model.batch(m, batch), mode);
        zf = logits.get(new NDIndex("0:" + nf));
        if (bIdx.length > 0) {
          zb = logits.get(new NDIndex(nf + ":"));
        }
      }
      NDArray forgetTerm = forgetTerm(m, zf, forgetLabels, forgetTargets);
      NDArray total = forgetWeight == 1f ? forgetTerm : forgetTerm.mul(forgetWeight);
      if (zb != null) {
        total = total.add(boundaryTerm(m, zb, bIdx));
      }
      total = total.div(nf + bIdx.length);
      if (penalty != null && settings.lambda() > 0) {
        total = total.add(penalty.value(m, model.parameters()).mul(settings.lambda()));
      }
      Classifier.backward(total);
      return total.getFloat();
    }
  }

  private NDArray forgetTerm(NDManager m, NDArray zf, long[] labels, long[] targets) {
    NDArray y = m.create(labels);
    boolean targeted = targets[0] >= 0;
    if (method == Method.RANDOM_LABEL) {
      return Losses.crossEntropySum(zf, m.create(targets));
    }
    if (settings.forgetLoss() == UnlearnSettings.ForgetLoss.CROSS_ENTROPY) {
      return targeted
          ? Losses.crossEntropySum(zf, m.create(targets))
          : Losses.crossEntropySum(zf, y).neg();
    }
    // Margin: the logit of the class to leave (or to reach) against the best other class.
    NDArray gap = targeted ? logitGap(zf, m.create(targets)).neg() : logitGap(zf, y);
    if (goal == Goal.UNSEEN && !targeted) {
      // Push only down to the held-out sample's typical gap, not past the boundary.
      gap = gap.sub(unseenGap);
    }
    return gap.add(settings.margin()).maximum(0f).sum();
  }

  /** Per row, the logit of class {@code cls} minus the largest other logit. */
  static NDArray logitGap(NDArray logits, NDArray cls) {
    NDArray own = logits.get(new NDIndex().addAllDim().addPickDim(cls.reshape(-1, 1))).reshape(-1);
    NDArray mask = cls.oneHot(Math.toIntExact(logits.getShape().get(1))).mul(1e9f);
    return own.sub(logits.sub(mask).max(new int[] {1}));
  }

  private NDArray boundaryTerm(NDManager m, NDArray zb, int[] bIdx) {
    if (teacher != null && method.usesAdversarialExamples()) {
      int c = teacher[0].length;
      float[] flat = new float[bIdx.length * c];
      for (int i = 0; i < bIdx.length; i++) {
        System.arraycopy(teacher[bIdx[i]], 0, flat, i * c, c);
      }
      NDArray p = m.create(flat, new Shape(bIdx.length, c));
      return zb.logSoftmax(1).mul(p).sum().neg();
    }
    long[] labels = new long[bIdx.length];
    for (int i = 0; i < bIdx.length; i++) {
      labels[i] = boundary.get(bIdx[i]).label();
    }
    return Losses.crossEntropySum(zb, m.create(labels));
  }

  /**
   * The number the stop rule watches: forget accuracy (untargeted), the fraction NOT yet on target
   * (targeted), or for UNSEEN the held-out median loss minus the forget median loss (stop at <= 0);
   * for UNSEEN it also records the held-out median logit gap the margin loss aims at ({@link
   * #unseenGap}).
   */
  private double forgetScore() {
    if (goal == Goal.UNSEEN) {
      float[][] f = lossAndGap(forget);
      float[][] h = lossAndGap(heldOut);
      unseenGap = (float) median(column(h, 1));
      return median(column(h, 0)) - median(column(f, 0));
    }
    int[] pred = model.predict(forget, evalBatch);
    int wrong = 0;
    for (int i = 0; i < pred.length; i++) {
      boolean done =
          targets != null && method != Method.RANDOM_LABEL
              ? pred[i] == targets[i]
              : pred[i] != forget.get(i).label();
      if (!done) {
        wrong++;
      }
    }
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

  /** Per sample, its cross-entropy and its logit gap (eval mode). */
  private float[][] lossAndGap(List<Sample> samples) {
    return model.evalRows(
        samples,
        evalBatch,
        (logits, part) -> {
          NDArray labels = model.labels(logits.getManager(), part);
          return NDArrays.stack(
              new NDList(Losses.crossEntropy(logits, labels), logitGap(logits, labels)), 1);
        });
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
