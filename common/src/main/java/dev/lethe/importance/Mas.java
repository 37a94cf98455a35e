package dev.lethe.importance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.lethe.data.Sample;
import dev.lethe.model.Classifier;
import dev.lethe.model.Scalars;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Memory Aware Synapses weight importance on the forget set at θ* (ALGORITHM.md section 3).
 *
 * <p>Work is split in two so it can run on several machines: {@link #partialSums} over any part of
 * the forget set, {@link ImportanceSums#plus} to add the parts, {@link #finish} on the total.
 */
public final class Mas {

  /** Added under the square root so a zero logit vector has gradient 0, not NaN. */
  private static final float TINY_SQUARED_NORM = 1e-30f;

  private static final int[] CLASS_AXIS = {1};

  private Mas() {}

  /**
   * The MAS sums over {@code instances}, in eval mode (BatchNorm running statistics) with autograd.
   * Parameter gradients are zeroed before and after; the weights are not changed.
   *
   * @param model a classifier loaded with trainable weights, at θ*
   * @param instances forget instances (any part of the forget set)
   * @param mode the MAS variant
   * @param batchSize instances per forward pass
   * @throws IllegalArgumentException when the weights are frozen or the batch size is not positive
   */
  public static ImportanceSums partialSums(
      Classifier model, List<Sample> instances, MasMode mode, int batchSize) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(instances, "instances");
    Objects.requireNonNull(mode, "mode");
    if (!model.trainable()) {
      throw new IllegalArgumentException(
          "Cannot compute weight importance on model "
              + model.name()
              + ": its weights are frozen; load it with trainable = true");
    }
    if (batchSize <= 0) {
      throw new IllegalArgumentException(
          "Cannot compute weight importance in batches of "
              + batchSize
              + ": the batch size must be positive");
    }
    boolean wasGrad = JniUtils.isGradMode();
    model.zeroGradients();
    try {
      LinkedHashMap<String, float[]> sums =
          mode == MasMode.MEAN_GRADIENT
              ? meanGradientSums(model, instances, batchSize)
              : perSampleSums(model, instances, batchSize);
      return new ImportanceSums(mode, instances.size(), sums);
    } finally {
      model.zeroGradients();
      JniUtils.setGradMode(wasGrad);
    }
  }

  /** Signed sums of ∂||g(x)||_2/∂θ: the parameter gradients accumulate over the batches. */
  private static LinkedHashMap<String, float[]> meanGradientSums(
      Classifier model, List<Sample> instances, int batchSize) {
    for (int from = 0; from < instances.size(); from += batchSize) {
      List<Sample> part = instances.subList(from, Math.min(instances.size(), from + batchSize));
      try (NDManager batch = model.newBatchManager()) {
        NDArray logits = model.forward(model.batch(batch, part), Classifier.Mode.EVAL_WITH_GRAD);
        NDArray norms =
            logits.square().sum(CLASS_AXIS).add(Scalars.of(logits, TINY_SQUARED_NORM)).sqrt();
        Classifier.backward(norms.sum());
      }
    }
    LinkedHashMap<String, float[]> sums = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
      try (NDArray grad = e.getValue().getGradient()) {
        sums.put(e.getKey(), grad.toFloatArray());
      }
    }
    return sums;
  }

  /**
   * Sums of |∂||g(x)||_2^2/∂θ| per instance: one forward per batch, one backward per instance
   * (keeping the graph until the batch's last one), absolute gradients summed on the device.
   */
  private static LinkedHashMap<String, float[]> perSampleSums(
      Classifier model, List<Sample> instances, int batchSize) {
    Map<String, NDArray> params = model.parameters();
    try (NDManager totals = model.newBatchManager()) {
      LinkedHashMap<String, NDArray> acc = new LinkedHashMap<>();
      params.forEach((name, p) -> acc.put(name, totals.zeros(p.getShape())));
      for (int from = 0; from < instances.size(); from += batchSize) {
        List<Sample> part = instances.subList(from, Math.min(instances.size(), from + batchSize));
        try (NDManager batch = model.newBatchManager()) {
          NDArray logits = model.forward(model.batch(batch, part), Classifier.Mode.EVAL_WITH_GRAD);
          NDArray squared = logits.square().sum(CLASS_AXIS);
          for (int i = 0; i < part.size(); i++) {
            NDArray one = squared.get(i);
            try (NDArray seed = one.onesLike()) {
              JniUtils.backward((PtNDArray) one, (PtNDArray) seed, i < part.size() - 1, false);
            }
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
              // getGradient() returns a new handle in the model's manager: close it at once.
              try (NDArray grad = e.getValue().getGradient();
                  NDArray abs = grad.abs()) {
                acc.get(e.getKey()).addi(abs);
              }
            }
            model.zeroGradients();
          }
        }
      }
      LinkedHashMap<String, float[]> sums = new LinkedHashMap<>();
      acc.forEach((name, a) -> sums.put(name, a.toFloatArray()));
      return sums;
    }
  }

  /**
   * Ω and Ω̂ from the sums over the whole forget set: Ω = |sum|/k ({@link MasMode#MEAN_GRADIENT})
   * or sum/k ({@link MasMode#PER_SAMPLE}); Ω̂ = (Ω - min)/(max - min) per tensor, all zeros for a
   * constant tensor.
   *
   * @throws IllegalArgumentException when no instance was summed or a sum is NaN or infinite
   */
  public static Importance finish(ImportanceSums total) {
    Objects.requireNonNull(total, "total");
    if (total.count() == 0) {
      throw new IllegalArgumentException(
          "Cannot compute weight importance: no forget instance was summed; give a non-empty"
              + " forget set");
    }
    double k = total.count();
    LinkedHashMap<String, float[]> omega = new LinkedHashMap<>();
    LinkedHashMap<String, float[]> normalised = new LinkedHashMap<>();
    for (Map.Entry<String, float[]> e : total.sums().entrySet()) {
      float[] sum = e.getValue();
      float[] o = new float[sum.length];
      float min = Float.POSITIVE_INFINITY;
      float max = Float.NEGATIVE_INFINITY;
      for (int i = 0; i < sum.length; i++) {
        if (!Float.isFinite(sum[i])) {
          throw new IllegalArgumentException(
              "Cannot compute weight importance of "
                  + e.getKey()
                  + ": its gradient sum holds "
                  + sum[i]
                  + " at index "
                  + i
                  + "; check the model and the forget images for NaN or overflow");
        }
        double v = total.mode() == MasMode.MEAN_GRADIENT ? Math.abs(sum[i]) / k : sum[i] / k;
        o[i] = (float) v;
        min = Math.min(min, o[i]);
        max = Math.max(max, o[i]);
      }
      float[] n = new float[sum.length];
      if (max > min) {
        float range = max - min;
        for (int i = 0; i < n.length; i++) {
          n[i] = Math.min(1f, (o[i] - min) / range);
        }
      }
      omega.put(e.getKey(), o);
      normalised.put(e.getKey(), n);
    }
    return new Importance(omega, normalised);
  }
}
