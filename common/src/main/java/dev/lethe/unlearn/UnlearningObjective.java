package dev.lethe.unlearn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.lethe.data.Sample;
import dev.lethe.importance.AnchorPenalty;
import dev.lethe.model.Classifier;
import dev.lethe.model.Losses;
import dev.lethe.model.Scalars;
import java.util.ArrayList;
import java.util.List;

/**
 * The loss the fine-tune minimises, every term in one place (ALGORITHM.md sections 1-4, with
 * Lethe's own terms). For a forget batch B_f and a boundary batch B_b, one step's loss is
 *
 * <pre>
 *   L = (w · forget(B_f) + boundary(B_b)) / (|B_f| + |B_b|) + λ · L_reg
 * </pre>
 *
 * <ul>
 *   <li><b>forget term</b>, summed over B_f ({@link #forgetTerm}): with {@link
 *       UnlearnSettings.ForgetLoss#CROSS_ENTROPY} -CE(x_f, y_f) (untargeted, gradient ascent) or
 *       CE(x_f, y*) (targeted); with {@link UnlearnSettings.ForgetLoss#MARGIN} max(0, gap + m)
 *       where gap is the logit of the label against the best other class (untargeted), or minus
 *       that of the target (targeted); for goal {@link Goal#UNSEEN} the gap is measured from the
 *       held-out sample's median gap ({@code unseenGap}) instead of from the boundary. Method
 *       {@link Method#RANDOM_LABEL}: CE toward each instance's random wrong label. {@code w} is the
 *       forget weight, which escalation raises.
 *   <li><b>boundary term</b>, summed over B_b ({@link #boundaryTerm}): on adversarial examples (and
 *       shifted anchors) either CE toward their adversarial class ({@link
 *       UnlearnSettings.AdversarialLoss#HARD_LABEL}) or the cross-entropy to the original model's
 *       softmax ({@link UnlearnSettings.AdversarialLoss#DISTILL}); the rows of the boundary set
 *       from {@code keepFrom} on are held-out images or their stand-ins, distilled in the same sum.
 *       Method {@link Method#RETAIN}: CE on the retain sample. Method {@link Method#SALUN}: CE on
 *       the retain sample when there is one, else the held-out images or stand-ins distilled.
 *   <li><b>anchor penalty</b> L_reg ({@link AnchorPenalty}), method {@link Method#L2UL} with λ &gt;
 *       0: MAS-weighted squared distance to the original parameters.
 * </ul>
 *
 * <p>Goal {@link Goal#UNSEEN} stops on {@link #lossAndGap}: per sample, the loss and the {@link
 * #logitGap} that its forget term aims at. Not thread-safe: it runs the model.
 */
final class UnlearningObjective {

  private final Classifier model;
  private final UnlearnSettings settings;
  private final Method method;
  private final Goal goal;
  private final List<Sample> forget;
  private final int[] targets;
  private final List<Sample> boundary;
  private final float[][] teacher;
  private final AnchorPenalty penalty;
  private Scrub scrub;

  /**
   * @param model the classifier being fine-tuned
   * @param settings the forget loss, margin, boundary loss, λ and whether to forward the two
   *     batches apart
   * @param forget the forget set with its true labels
   * @param targets per forget instance, the class to move it to (targeted, or random-label), else
   *     null
   * @param boundary the adversarial examples labelled with their adversarial class (then anchors,
   *     then held-out images or stand-ins), or the retain sample; empty for methods without one
   * @param teacher the original model's softmax on each boundary example (for DISTILL), else null
   * @param penalty the MAS anchor (l2ul), else null
   */
  UnlearningObjective(
      Classifier model,
      UnlearnSettings settings,
      Method method,
      Goal goal,
      List<Sample> forget,
      int[] targets,
      List<Sample> boundary,
      float[][] teacher,
      AnchorPenalty penalty) {
    this.model = model;
    this.settings = settings;
    this.method = method;
    this.goal = goal;
    this.forget = forget;
    this.targets = targets;
    this.boundary = boundary;
    this.teacher = teacher;
    this.penalty = penalty;
  }

  /** Method scrub: its max- and min-step losses replace every term below ({@link Scrub#loss}). */
  UnlearningObjective withScrub(Scrub value) {
    this.scrub = value;
    return this;
  }

  /**
   * The differentiable loss of one step, in {@code m}: the forget instances {@code fIdx} and the
   * boundary examples {@code bIdx} forwarded in {@code mode} (as one batch, or with {@link
   * UnlearnSettings#separateBatches()} as two: the boundary batch first, then the forget batch, as
   * the authors' code does).
   *
   * @param forgetWeight the forget term's weight w, as escalation has set it
   * @param unseenGap goal unseen: the held-out sample's median logit gap at the last evaluation
   */
  NDArray loss(
      NDManager m,
      Classifier.Mode mode,
      int[] fIdx,
      int[] bIdx,
      float forgetWeight,
      float unseenGap) {
    if (scrub != null) {
      return scrub.loss(
          model, m, mode, fIdx, bIdx, forgetWeight, goal == Goal.UNSEEN ? unseenGap : Float.NaN);
    }
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
      // The authors' order: the boundary (adversarial) batch first, the forget batch second. In
      // train mode the last batch forwarded dominates BatchNorm's running statistics, which the
      // eval-mode stop check then reads.
      zb = model.forward(model.batch(m, batch.subList(nf, batch.size())), mode);
      zf = model.forward(model.batch(m, batch.subList(0, nf)), mode);
    } else {
      NDArray logits = model.forward(model.batch(m, batch), mode);
      zf = logits.get(new NDIndex("0:" + nf));
      if (bIdx.length > 0) {
        zb = logits.get(new NDIndex(nf + ":"));
      }
    }
    NDArray forgetTerm = forgetTerm(m, zf, forgetLabels, forgetTargets, unseenGap);
    NDArray total = forgetWeight == 1f ? forgetTerm : Scalars.mul(forgetTerm, forgetWeight);
    if (zb != null) {
      total = total.add(boundaryTerm(m, zb, bIdx));
    }
    total = Scalars.div(total, nf + bIdx.length);
    if (penalty != null && settings.lambda() > 0) {
      total = total.add(Scalars.mul(penalty.value(m, model.parameters()), settings.lambda()));
    }
    return total;
  }

  /** The forget term, summed over the batch's logits {@code zf}; see the class comment. */
  private NDArray forgetTerm(
      NDManager m, NDArray zf, long[] labels, long[] targets, float unseenGap) {
    NDArray y = m.create(labels);
    boolean targeted = targets[0] >= 0;
    if (method.drawsRandomLabels()) {
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
      gap = Scalars.sub(gap, unseenGap);
    }
    return Scalars.maximum(Scalars.add(gap, settings.margin()), 0).sum();
  }

  /**
   * The boundary term, summed over the boundary batch's logits {@code zb}: distillation toward the
   * teacher's softmax (adversarial examples, anchors, held-out images or stand-ins alike), or CE
   * toward each example's label (hard-label adversarial examples, the retain sample).
   */
  private NDArray boundaryTerm(NDManager m, NDArray zb, int[] bIdx) {
    if (teacher != null && (method.usesAdversarialExamples() || method == Method.SALUN)) {
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
   * Whether the boundary term distils: {@link UnlearnSettings.AdversarialLoss#DISTILL} with a
   * method that uses adversarial examples. Only then are held-out images or stand-ins added to the
   * boundary set.
   */
  static boolean distills(UnlearnSettings settings, Method method) {
    return settings.adversarialLoss() == UnlearnSettings.AdversarialLoss.DISTILL
        && method.usesAdversarialExamples();
  }

  /**
   * The distillation targets: the original model's softmax on every example of the boundary set
   * (eval mode), computed once before the fine-tune changes anything.
   */
  static float[][] teacher(Classifier original, List<Sample> boundary, int batch) {
    return original.evalRows(boundary, batch, (logits, part) -> logits.softmax(1));
  }

  /** Per row, the logit of class {@code cls} minus the largest other logit. */
  static NDArray logitGap(NDArray logits, NDArray cls) {
    NDArray own = logits.get(new NDIndex().addAllDim().addPickDim(cls.reshape(-1, 1))).reshape(-1);
    NDArray mask = cls.oneHot(Math.toIntExact(logits.getShape().get(1))).mul(1e9f);
    return own.sub(logits.sub(mask).max(new int[] {1}));
  }

  /**
   * Per sample (eval mode), its cross-entropy against its label and its {@link #logitGap}: what
   * goal unseen compares between the forget set and the held-out sample.
   */
  static float[][] lossAndGap(Classifier model, List<Sample> samples, int batch) {
    return model.evalRows(
        samples,
        batch,
        (logits, part) -> {
          NDArray labels = model.labels(logits.getManager(), part);
          return NDArrays.stack(
              new NDList(Losses.crossEntropy(logits, labels), logitGap(logits, labels)), 1);
        });
  }
}
