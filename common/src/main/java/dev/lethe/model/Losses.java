package dev.lethe.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

/** Differentiable losses on logits, as NDArray expressions. */
public final class Losses {

  private Losses() {}

  /** Per-sample cross-entropy of {@code logits} (N, C) against int64 class indices (N). */
  public static NDArray crossEntropy(NDArray logits, NDArray labels) {
    NDArray logProbs = logits.logSoftmax(1);
    NDArray picked = logProbs.get(new NDIndex().addAllDim().addPickDim(labels.reshape(-1, 1)));
    return picked.reshape(-1).neg();
  }

  /** Cross-entropy summed over the batch. */
  public static NDArray crossEntropySum(NDArray logits, NDArray labels) {
    return crossEntropy(logits, labels).sum();
  }

  /** Cross-entropy averaged over the batch. */
  public static NDArray crossEntropyMean(NDArray logits, NDArray labels) {
    return crossEntropy(logits, labels).mean();
  }
}
