package dev.lethe.unlearn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.lethe.model.Classifier;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Plain SGD with momentum and weight decay, as torch.optim.SGD computes it (dampening 0, no
 * Nesterov): {@code d = g + wd * p; buf = momentum * buf + d; p -= lr * buf}. The momentum buffers
 * live in this optimiser's own manager, outside any per-step scope, until {@link #close()}.
 */
final class Sgd implements AutoCloseable {

  private final Map<String, NDArray> parameters;
  private final NDManager state;
  private final Map<String, NDArray> buffers = new LinkedHashMap<>();
  private final Map<String, NDArray> masks = new LinkedHashMap<>();
  private final float learningRate;
  private final float momentum;
  private final float weightDecay;

  Sgd(
      Classifier model,
      java.util.Set<String> updated,
      float learningRate,
      float momentum,
      float weightDecay) {
    this(model, updated, learningRate, momentum, weightDecay, null);
  }

  /**
   * @param mask per updated parameter, 1 for the entries that may move and 0 for those that stay
   *     (method salun: {@link SalUn#mask}); the update {@code d} is multiplied by it, weight decay
   *     included, so a masked entry never changes. Null: every entry moves
   */
  Sgd(
      Classifier model,
      java.util.Set<String> updated,
      float learningRate,
      float momentum,
      float weightDecay,
      Map<String, float[]> mask) {
    Map<String, NDArray> selected = new LinkedHashMap<>();
    model
        .parameters()
        .forEach(
            (k, v) -> {
              if (updated.contains(k)) {
                selected.put(k, v);
              }
            });
    this.parameters = selected;
    this.state = model.newBatchManager();
    this.learningRate = learningRate;
    this.momentum = momentum;
    this.weightDecay = weightDecay;
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
      NDArray buf = state.zeros(e.getValue().getShape(), e.getValue().getDataType());
      NDScope.unregister(buf);
      buffers.put(e.getKey(), buf);
      if (mask != null) {
        NDArray m = state.create(mask.get(e.getKey()), e.getValue().getShape());
        NDScope.unregister(m);
        masks.put(e.getKey(), m);
      }
    }
  }

  /**
   * Applies one update from the accumulated gradients, then zeroes them. When a gradient holds a
   * NaN or an infinity it applies nothing: the parameters and momentum stay as they were.
   *
   * @return whether the update was applied
   */
  boolean step() {
    try (Classifier.NoGrad ignored = Classifier.NoGrad.enter();
        NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      if (!gradientsFinite()) {
        discard();
        return false;
      }
      for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
        NDArray p = e.getValue();
        NDArray g = p.getGradient();
        NDArray d = weightDecay == 0f ? g : g.add(p.mul(weightDecay));
        NDArray keep = masks.get(e.getKey());
        if (keep != null) {
          d = d.mul(keep);
        }
        NDArray buf = buffers.get(e.getKey());
        if (momentum == 0f) {
          p.subi(d.mul(learningRate));
        } else {
          buf.muli(momentum).addi(d);
          p.subi(buf.mul(learningRate));
        }
        JniUtils.zeroGrad((PtNDArray) p);
      }
      return true;
    }
  }

  /**
   * Zeroes the accumulated gradients without applying them.
   *
   * @return false: no update was applied
   */
  boolean discard() {
    for (NDArray p : parameters.values()) {
      JniUtils.zeroGrad((PtNDArray) p);
    }
    return false;
  }

  /**
   * Whether every gradient is finite: the sum of every parameter's gradient sum is NaN or infinite
   * if any entry is. One read back to the JVM, not one per parameter.
   */
  private boolean gradientsFinite() {
    NDArray total = null;
    for (NDArray p : parameters.values()) {
      // In float32, so that a half-precision model's sum does not overflow where no entry did.
      NDArray s = p.getGradient().sum().toType(DataType.FLOAT32, false);
      total = total == null ? s : total.addi(s);
    }
    return total == null || Float.isFinite(total.getFloat());
  }

  @Override
  public void close() {
    state.close();
  }
}
