package dev.lethe.unlearn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lethe.data.Sample;
import dev.lethe.model.Classifier;
import dev.lethe.model.Losses;
import dev.lethe.model.Scalars;
import java.util.List;

/**
 * Method {@link Method#SCRUB} (Kurmanji et al., "Towards Unbounded Machine Unlearning", NeurIPS
 * 2023; ALGORITHM.md section 5): the model being fine-tuned is the student, the original model the
 * frozen teacher. A max-step on a forget batch ascends the KL divergence between the teacher's and
 * the student's outputs at temperature T; a min-step on a batch of data to keep descends γ·CE +
 * α·KL to the teacher. Each epoch runs one pass of max-steps over the forget set, while the epoch
 * is within {@link Settings#maxEpochs()}, then one pass of min-steps over the data to keep. The
 * loop's stop rule and cap end the run as for every method.
 *
 * <p>The data to keep is the retain sample when the run has one, with its labels; otherwise the
 * held-out sample, else {@link UnlearnSettings#standIns()} mixtures of forget images, each labelled
 * with the original model's prediction, so that no label of the held-out sample is learnt (it is
 * also the membership attack's non-members and goal unseen's reference).
 */
public final class Scrub {

  /**
   * SCRUB's own knobs, tuning keys {@code scrub.*}.
   *
   * @param temperature T of the KL divergence (the authors' {@code kd_T})
   * @param alpha weight of the min-step's KL term (the authors' {@code alpha})
   * @param gamma weight of the min-step's cross-entropy term (the authors' {@code gamma})
   * @param maxEpochs the epochs, from the first, that run max-steps (the authors' {@code msteps});
   *     0: every epoch
   */
  public record Settings(float temperature, float alpha, float gamma, int maxEpochs) {

    /** The authors' values: SGD on CIFAR-10, large_scale_unlearning.ipynb (ALGORITHM.md §5). */
    static final Settings AUTHORS = new Settings(4f, 0.001f, 0.99f, 2);

    Settings withTemperature(float v) {
      return new Settings(v, alpha, gamma, maxEpochs);
    }

    Settings withAlpha(float v) {
      return new Settings(temperature, v, gamma, maxEpochs);
    }

    Settings withGamma(float v) {
      return new Settings(temperature, alpha, v, maxEpochs);
    }

    Settings withMaxEpochs(int v) {
      return new Settings(temperature, alpha, gamma, v);
    }
  }

  private final List<Sample> forget;
  private final List<Sample> keep;
  private final int[] keepLabels;
  private final float[][] teacherForget;
  private final float[][] teacherKeep;
  private final Settings knobs;

  /** With {@code forget-loss=margin}: the margin that bounds the max-step per row; else null. */
  private final Float margin;

  /**
   * The teacher's logits (eval mode) on the forget set and on the data to keep, taken now, before
   * the fine-tune changes anything.
   *
   * @param original the teacher θ*
   * @param retain a sample of retained training data, or empty
   * @param heldOut the run's held-out sample, or empty
   */
  Scrub(
      Classifier original,
      List<Sample> forget,
      List<Sample> retain,
      List<Sample> heldOut,
      UnlearnSettings s,
      long seed,
      int batch) {
    this.forget = forget;
    this.knobs = s.scrub();
    this.margin =
        s.forgetLoss() == UnlearnSettings.ForgetLoss.MARGIN ? Float.valueOf(s.margin()) : null;
    this.keep = keep(retain, heldOut, forget, s, seed);
    this.teacherForget = original.logits(forget, batch);
    this.teacherKeep = original.logits(keep, batch);
    this.keepLabels = new int[keep.size()];
    for (int i = 0; i < keep.size(); i++) {
      keepLabels[i] = retain.isEmpty() ? argmax(teacherKeep[i]) : keep.get(i).label();
    }
  }

  /**
   * The data of the min-steps: the retain sample, else the held-out sample, else stand-ins made
   * from the forget set (none from fewer than two forget instances).
   */
  private static List<Sample> keep(
      List<Sample> retain,
      List<Sample> heldOut,
      List<Sample> forget,
      UnlearnSettings s,
      long seed) {
    return !retain.isEmpty()
        ? retain
        : !heldOut.isEmpty() ? heldOut : StandIns.mixtures(forget, s, seed);
  }

  /** One progress line: what the min-steps keep, as the constructor chooses it. */
  static String describeKept(
      List<Sample> retain, List<Sample> heldOut, List<Sample> forget, UnlearnSettings s) {
    if (!retain.isEmpty()) {
      return String.format("scrub: min-steps on the retain sample, %d images", retain.size());
    }
    int n = keep(retain, heldOut, forget, s, 0).size();
    return n == 0
        ? "scrub: no retain sample, held-out sample or stand-ins: max-steps only"
        : String.format(
            "scrub: no retain sample: min-steps on %d %s, labelled with the original model's"
                + " predictions",
            n, heldOut.isEmpty() ? "stand-ins made from the forget set" : "held-out images");
  }

  /** The data of the min-steps, the loop's boundary set. */
  List<Sample> keep() {
    return keep;
  }

  /**
   * Max-steps in epoch {@code epoch} (from 0): one pass over the forget set in batches of {@code
   * forgetBatch} while the epoch is within {@code scrub.max-epochs}, else none.
   */
  static int maxSteps(UnlearnSettings s, int epoch, int k, int forgetBatch) {
    int limit = s.scrub().maxEpochs();
    return limit > 0 && epoch >= limit ? 0 : (k + forgetBatch - 1) / forgetBatch;
  }

  /**
   * One step's loss: -w·KL on the forget rows {@code fIdx} (a max-step) plus γ·CE + α·KL on the
   * rows to keep {@code bIdx} (a min-step); each term is its batch's mean, as the authors'.
   */
  NDArray loss(
      Classifier model,
      NDManager m,
      Classifier.Mode mode,
      int[] fIdx,
      int[] bIdx,
      float forgetWeight) {
    return loss(model, m, mode, fIdx, bIdx, forgetWeight, Float.NaN);
  }

  /**
   * As {@link #loss(Classifier, NDManager, Classifier.Mode, int[], int[], float)}; with {@code
   * forget-loss=margin} (preset lethe) a forget row adds to the max-step only while its label's
   * logit is less than {@code margin} below the best other class (goal unseen: below the held-out
   * sample's median gap {@code unseenGap} less the margin), as the margin loss stops pulling an
   * instance once it is past: the unbounded ascent stops for rows already forgotten.
   */
  NDArray loss(
      Classifier model,
      NDManager m,
      Classifier.Mode mode,
      int[] fIdx,
      int[] bIdx,
      float forgetWeight,
      float unseenGap) {
    NDArray total = m.create(0f);
    if (fIdx.length > 0) {
      NDArray z = model.forward(model.batch(m, rows(forget, fIdx)), mode);
      NDArray perRow = divergenceRows(m, z, teacherForget, fIdx);
      if (margin != null) {
        long[] labels = new long[fIdx.length];
        for (int i = 0; i < fIdx.length; i++) {
          labels[i] = forget.get(fIdx[i]).label();
        }
        NDArray gap = UnlearningObjective.logitGap(z, m.create(labels));
        if (!Float.isNaN(unseenGap)) {
          gap = Scalars.sub(gap, unseenGap);
        }
        perRow = perRow.mul(Scalars.add(gap, margin).gt(0f).toType(perRow.getDataType(), false));
      }
      total = total.sub(Scalars.mul(Scalars.div(perRow.sum(), fIdx.length), forgetWeight));
    }
    if (bIdx.length > 0) {
      NDArray z = model.forward(model.batch(m, rows(keep, bIdx)), mode);
      long[] labels = new long[bIdx.length];
      for (int i = 0; i < bIdx.length; i++) {
        labels[i] = keepLabels[bIdx[i]];
      }
      total =
          total
              .add(Scalars.mul(Losses.crossEntropyMean(z, m.create(labels)), knobs.gamma()))
              .add(Scalars.mul(divergence(m, z, teacherKeep, bIdx), knobs.alpha()));
    }
    return total;
  }

  /**
   * The mean KL divergence, at temperature T and scaled by T², from the teacher's outputs to {@code
   * student}'s (eval mode) over the forget set: what the max-steps raise.
   */
  double forgetDivergence(Classifier student, int batch) {
    float[][] z = student.logits(forget, batch);
    double t = knobs.temperature();
    double sum = 0;
    for (int i = 0; i < z.length; i++) {
      double[] pt = logSoftmax(teacherForget[i], t);
      double[] ps = logSoftmax(z[i], t);
      for (int c = 0; c < pt.length; c++) {
        sum += Math.exp(pt[c]) * (pt[c] - ps[c]);
      }
    }
    return sum * t * t / z.length;
  }

  /** KL(softmax(t/T) ‖ softmax(z/T))·T², the mean over the batch (the authors' DistillKL). */
  private NDArray divergence(NDManager m, NDArray z, float[][] teacher, int[] idx) {
    return Scalars.div(divergenceRows(m, z, teacher, idx).sum(), idx.length);
  }

  /** Per row, KL(softmax(t/T) ‖ softmax(z/T))·T². */
  private NDArray divergenceRows(NDManager m, NDArray z, float[][] teacher, int[] idx) {
    float t = knobs.temperature();
    int c = teacher[0].length;
    float[] flat = new float[idx.length * c];
    for (int i = 0; i < idx.length; i++) {
      System.arraycopy(teacher[idx[i]], 0, flat, i * c, c);
    }
    NDArray logPt = Scalars.div(m.create(flat, new Shape(idx.length, c)), t).logSoftmax(1);
    NDArray logPs = Scalars.div(z, t).logSoftmax(1);
    return Scalars.mul(logPt.exp().mul(logPt.sub(logPs)).sum(new int[] {1}), t * t);
  }

  private static List<Sample> rows(List<Sample> from, int[] idx) {
    Sample[] out = new Sample[idx.length];
    for (int i = 0; i < idx.length; i++) {
      out[i] = from.get(idx[i]);
    }
    return List.of(out);
  }

  private static double[] logSoftmax(float[] z, double t) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : z) {
      max = Math.max(max, v / t);
    }
    double sum = 0;
    for (float v : z) {
      sum += Math.exp(v / t - max);
    }
    double log = max + Math.log(sum);
    double[] out = new double[z.length];
    for (int c = 0; c < z.length; c++) {
      out[c] = z[c] / t - log;
    }
    return out;
  }

  private static int argmax(float[] z) {
    int best = 0;
    for (int c = 1; c < z.length; c++) {
      if (z[c] > z[best]) {
        best = c;
      }
    }
    return best;
  }
}
