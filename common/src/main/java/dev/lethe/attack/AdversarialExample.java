package dev.lethe.attack;

import dev.lethe.data.ImageShape;
import dev.lethe.data.Sample;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * One targeted adversarial example made from a forget instance (ALGORITHM.md section 2).
 *
 * @param sourceId the id of the forget instance it was made from
 * @param index which of that instance's examples it is (j, from 0)
 * @param sourceLabel the true label of the forget instance
 * @param target the class the attack aimed at; the example is labelled with it whether or not the
 *     attack succeeded
 * @param shape the image shape (CHW)
 * @param pixels the adversarial image, CHW floats in [0,1]
 * @param success whether the attacked model (eval mode) predicts {@code target} for it
 */
public record AdversarialExample(
    String sourceId,
    int index,
    int sourceLabel,
    int target,
    ImageShape shape,
    float[] pixels,
    boolean success)
    implements Serializable {

  public AdversarialExample {
    Objects.requireNonNull(sourceId, "sourceId");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(pixels, "pixels");
    if (pixels.length != shape.size()) {
      throw new IllegalArgumentException(
          "Cannot make adversarial example "
              + index
              + " of "
              + sourceId
              + ": "
              + pixels.length
              + " pixel values do not fill the shape "
              + shape);
    }
    if (index < 0) {
      throw new IllegalArgumentException(
          "Cannot make adversarial example of " + sourceId + ": index " + index + " is negative");
    }
  }

  /** A stable id for this example: {@code <sourceId>/adv/<index>}. */
  public String id() {
    return sourceId + "/adv/" + index;
  }

  /** This example as a training sample labelled with its target class (the L_adv term). */
  public Sample toSample() {
    return new Sample(id(), target, shape, pixels);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AdversarialExample e
        && index == e.index
        && sourceLabel == e.sourceLabel
        && target == e.target
        && success == e.success
        && sourceId.equals(e.sourceId)
        && shape.equals(e.shape)
        && Arrays.equals(pixels, e.pixels);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        sourceId, index, sourceLabel, target, shape, success, Arrays.hashCode(pixels));
  }

  @Override
  public String toString() {
    return "AdversarialExample[source="
        + sourceId
        + ", j="
        + index
        + ", label="
        + sourceLabel
        + ", target="
        + target
        + ", success="
        + success
        + "]";
  }
}
