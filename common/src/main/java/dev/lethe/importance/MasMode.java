package dev.lethe.importance;

/** How MAS turns per-instance gradients into weight importance (ALGORITHM.md section 3). */
public enum MasMode {
  /**
   * Ω = |(1/k) Σ_x ∂||g(x)||_2/∂θ|: the absolute value of the mean gradient of the unsquared L2
   * norm of the logits (the authors' code; the default). Partial sums are signed gradient sums.
   */
  MEAN_GRADIENT,
  /**
   * Ω = (1/k) Σ_x |∂||g(x)||_2^2/∂θ|: the mean absolute per-sample gradient of the squared norm
   * (MAS as published). Partial sums are sums of absolute per-sample gradients; one backward pass
   * per instance.
   */
  PER_SAMPLE
}
