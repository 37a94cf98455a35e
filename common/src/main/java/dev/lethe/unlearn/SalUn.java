package dev.lethe.unlearn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.lethe.data.Sample;
import dev.lethe.model.Classifier;
import dev.lethe.model.Losses;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Method salun: SalUn (Fan et al., "SalUn: Empowering Machine Unlearning via Gradient-based Weight
 * Saliency", ICLR 2024; code github.com/OPTML-Group/Unlearn-Saliency, Classification/). Before the
 * fine-tune, a saliency mask is computed once from the original model: the gradient of the forget
 * loss (cross-entropy against the true labels, summed over the forget set, eval mode), and the
 * entries with the largest |gradient|, a fixed fraction of all updated entries under one global
 * threshold (the authors' {@code generate_mask.py}), are salient. The fine-tune is random labelling
 * (the forget term of method random-label) plus cross-entropy on the retain sample when there is
 * one, and only salient entries move: {@link Sgd} multiplies each step's update by the mask, so the
 * others stay exactly at their original values. ALGORITHM.md section 5 has the details and where
 * Lethe departs from the authors' code.
 */
final class SalUn {

  /** The authors' fraction of salient weights: their mask {@code with_0.5.pt}. */
  static final float FRACTION = 0.5f;

  private SalUn() {}

  /**
   * The saliency mask: per parameter of {@code updated}, 1 where the entry may move and 0 where it
   * stays. The gradient of the summed cross-entropy of the forget set against its labels (eval
   * mode) is taken at the model's current (original) weights; the {@code floor(fraction · N)}
   * entries of largest |gradient| among all N entries of the updated parameters are salient (ties
   * at the threshold in parameter order). Gradients are zeroed before and after.
   */
  static LinkedHashMap<String, float[]> mask(
      Classifier model, List<Sample> forget, Set<String> updated, float fraction, int batch) {
    boolean wasGrad = JniUtils.isGradMode();
    LinkedHashMap<String, float[]> magnitude = new LinkedHashMap<>();
    model.zeroGradients();
    try {
      for (int from = 0; from < forget.size(); from += batch) {
        List<Sample> part = forget.subList(from, Math.min(forget.size(), from + batch));
        try (NDManager m = model.newBatchManager()) {
          NDArray logits = model.forward(model.batch(m, part), Classifier.Mode.EVAL_WITH_GRAD);
          Classifier.backward(Losses.crossEntropySum(logits, model.labels(m, part)));
        }
      }
      for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
        if (updated.contains(e.getKey())) {
          try (NDArray g = e.getValue().getGradient()) {
            float[] v = g.toFloatArray();
            for (int i = 0; i < v.length; i++) {
              v[i] = Math.abs(v[i]);
            }
            magnitude.put(e.getKey(), v);
          }
        }
      }
    } finally {
      model.zeroGradients();
      JniUtils.setGradMode(wasGrad);
    }
    return threshold(magnitude, fraction);
  }

  /**
   * 1 for the {@code floor(fraction · N)} (at least 1) largest of all N values, one threshold over
   * every array; ties at the threshold are taken in order until the count is reached.
   */
  static LinkedHashMap<String, float[]> threshold(
      LinkedHashMap<String, float[]> values, float fraction) {
    int total = 0;
    for (float[] v : values.values()) {
      total += v.length;
    }
    float[] all = new float[total];
    int at = 0;
    for (float[] v : values.values()) {
      System.arraycopy(v, 0, all, at, v.length);
      at += v.length;
    }
    int salient = Math.max(1, (int) (total * (double) fraction));
    Arrays.sort(all);
    float cut = all[total - salient];
    int above = 0;
    for (float[] v : values.values()) {
      for (float x : v) {
        above += x > cut ? 1 : 0;
      }
    }
    int ties = salient - above;
    LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, float[]> e : values.entrySet()) {
      float[] v = e.getValue();
      float[] m = new float[v.length];
      for (int i = 0; i < v.length; i++) {
        if (v[i] > cut || (v[i] == cut && ties-- > 0)) {
          m[i] = 1f;
        }
      }
      out.put(e.getKey(), m);
    }
    return out;
  }
}
