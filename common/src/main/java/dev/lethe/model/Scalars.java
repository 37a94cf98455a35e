package dev.lethe.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic between an array and a constant that stays correct under autograd. Every constant in a
 * differentiable expression (a loss, a penalty, anything {@link Classifier#backward} will walk)
 * goes through here, never through DJL's {@code NDArray.mul(Number)} and its siblings.
 *
 * <p>Why: DJL's {@code mul(Number)}, {@code div(Number)}, {@code maximum(Number)} and the like wrap
 * the number in a 0-d tensor whose memory is a Java direct buffer, and close that tensor as soon as
 * the op returns. When autograd records the op it keeps the tensor for the backward pass
 * (multiplication, division and maximum need it there), and the backward then reads memory that the
 * JVM frees at its next garbage collection and glibc reuses at once. The gradient is then scaled by
 * whatever lies there: on the demo model the fine-tune's first gradient came out 10^-6 of the true
 * one under a busy collector, and long runs had NaN steps and blown-up weights that a second run of
 * the same inputs did not have. The constants made here are tensors that libtorch allocates, which
 * autograd keeps alive for as long as it needs them.
 */
public final class Scalars {

  private Scalars() {}

  /**
   * {@code value} as a float32 0-d tensor in the manager of {@code like}, in memory libtorch owns.
   * Float32, as DJL's own {@code mul(float)} makes it: PyTorch's type promotion then gives the same
   * result type as before (a 0-d constant does not widen an array of more dimensions).
   */
  public static NDArray of(NDArray like, double value) {
    return like.getManager().full(new Shape(), (float) value, DataType.FLOAT32);
  }

  /** {@code a * value}. */
  public static NDArray mul(NDArray a, double value) {
    return a.mul(of(a, value));
  }

  /** {@code a / value}. */
  public static NDArray div(NDArray a, double value) {
    return a.div(of(a, value));
  }

  /** {@code a + value}. */
  public static NDArray add(NDArray a, double value) {
    return a.add(of(a, value));
  }

  /** {@code a - value}. */
  public static NDArray sub(NDArray a, double value) {
    return a.sub(of(a, value));
  }

  /** The element-wise maximum of {@code a} and {@code value}. */
  public static NDArray maximum(NDArray a, double value) {
    return a.maximum(of(a, value));
  }
}
