package dev.lethe.importance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.lethe.model.Classifier;
import dev.lethe.model.Scalars;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The importance-weighted anchor L_reg = Σ_p Σ_i (1 - Ω̂_{p,i}) (θ_{p,i} - θ*_{p,i})^2 / 2
 * (ALGORITHM.md section 3): weights that matter for the forget set may move, the others are held at
 * θ*.
 *
 * <p>The weights (1 - Ω̂) and θ* are copied to the classifier's device once, into the penalty's own
 * manager, which {@link #close()} frees. Not thread-safe.
 */
public final class AnchorPenalty implements AutoCloseable {

  private final NDManager manager;
  private final LinkedHashMap<String, NDArray> weights = new LinkedHashMap<>();
  private final LinkedHashMap<String, NDArray> anchor = new LinkedHashMap<>();
  private NDManager scratch;

  /**
   * A penalty on the parameters of {@code model}.
   *
   * @param model the classifier being unlearned (for its device and parameter shapes)
   * @param importance Ω̂ of every trainable parameter of the model
   * @param theta the original values θ* of every trainable parameter, e.g. {@link
   *     Classifier#parameterValues()} before unlearning
   * @throws IllegalArgumentException naming the parameter when the names or sizes do not match the
   *     model's trainable parameters
   */
  public AnchorPenalty(Classifier model, Importance importance, Map<String, float[]> theta) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(importance, "importance");
    Objects.requireNonNull(theta, "theta");
    Map<String, NDArray> params = model.parameters();
    check("importance", importance.normalised(), params, model.name());
    check("anchor values", theta, params, model.name());
    this.manager = model.newBatchManager();
    try {
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        String name = e.getKey();
        Shape shape = e.getValue().getShape();
        float[] keep = importance.normalised().get(name).clone();
        for (int i = 0; i < keep.length; i++) {
          keep[i] = 1f - keep[i];
        }
        weights.put(name, manager.create(keep, shape));
        anchor.put(name, manager.create(theta.get(name), shape));
      }
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  private static void check(
      String what, Map<String, float[]> given, Map<String, NDArray> params, String model) {
    if (!given.keySet().equals(params.keySet())) {
      throw new IllegalArgumentException(
          "Cannot anchor model "
              + model
              + ": the "
              + what
              + " cover "
              + given.keySet()
              + " but its trainable parameters are "
              + params.keySet()
              + "; compute them on the same model");
    }
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      int expected = Math.toIntExact(e.getValue().size());
      int actual = given.get(e.getKey()).length;
      if (actual != expected) {
        throw new IllegalArgumentException(
            "Cannot anchor model "
                + model
                + ": parameter "
                + e.getKey()
                + " has "
                + expected
                + " values but the "
                + what
                + " have "
                + actual
                + "; compute them on the same model");
      }
    }
  }

  /**
   * The differentiable scalar L_reg for {@code params} (normally the model's live {@link
   * Classifier#parameters()}). The result and every intermediate array are attached to {@code
   * manager}, so closing it (the caller's step manager) frees them; call {@link
   * Classifier#backward} on the result (or on a sum that contains it) to get its gradient. Like
   * {@link Classifier#forward} in a gradient mode, it turns autograd on for this thread.
   *
   * @param manager where the result lives; on the classifier's device
   * @param params current values θ, by parameter name
   */
  public NDArray value(NDManager manager, Map<String, NDArray> params) {
    Objects.requireNonNull(manager, "manager");
    JniUtils.setGradMode(true);
    NDArray total = null;
    for (Map.Entry<String, NDArray> e : weights.entrySet()) {
      NDArray theta = param(params, e.getKey());
      // theta lives in the model's manager: move the first result into the caller's manager so
      // that every later op (which lands in its first operand's manager) follows it there.
      NDArray diff = theta.sub(anchor.get(e.getKey()));
      diff.attach(manager);
      NDArray term = diff.square().mul(e.getValue()).sum();
      total = total == null ? term : total.add(term);
    }
    return total == null ? manager.create(0f) : Scalars.div(total, 2);
  }

  /**
   * Like {@link #value(NDManager, Map)}, with the result in a scratch manager that this penalty
   * owns and closes at the next call of this method or at {@link #close()}: use the result before
   * calling again.
   */
  public NDArray value(Map<String, NDArray> params) {
    if (scratch != null) {
      scratch.close();
    }
    scratch = manager.newSubManager();
    return value(scratch, params);
  }

  /**
   * The analytic gradient of L_reg, (1 - Ω̂)(θ - θ*), by parameter name, as flat float arrays
   * (computed without autograd).
   *
   * @param params current values θ, by parameter name
   */
  public LinkedHashMap<String, float[]> gradient(Map<String, NDArray> params) {
    LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
    try (Classifier.NoGrad ignored = Classifier.NoGrad.enter();
        NDManager work = manager.newSubManager()) {
      for (Map.Entry<String, NDArray> e : weights.entrySet()) {
        NDArray diff = param(params, e.getKey()).sub(anchor.get(e.getKey()));
        diff.attach(work);
        out.put(e.getKey(), diff.muli(e.getValue()).toFloatArray());
      }
    }
    return out;
  }

  private static NDArray param(Map<String, NDArray> params, String name) {
    NDArray theta = params.get(name);
    if (theta == null) {
      throw new IllegalArgumentException(
          "Cannot evaluate the anchor penalty: parameter "
              + name
              + " is missing; pass every trainable parameter of the anchored model");
    }
    return theta;
  }

  @Override
  public void close() {
    if (scratch != null) {
      scratch.close();
      scratch = null;
    }
    manager.close();
  }
}
