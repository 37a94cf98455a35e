package dev.lethe.data;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * One labelled image: a stable id (file path, row id, or index), its class index, and its pixels as
 * a CHW float array in [0,1]. Plain Java, so it serialises across Spark executors.
 */
public record Sample(String id, int label, ImageShape shape, float[] pixels)
    implements Serializable {

  public Sample {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(pixels, "pixels");
    if (pixels.length != shape.size()) {
      throw new IllegalArgumentException(
          "Cannot make sample "
              + id
              + ": "
              + pixels.length
              + " pixel values do not fill the shape "
              + shape);
    }
  }

  /** This sample with another label (same id and pixels). */
  public Sample withLabel(int newLabel) {
    return new Sample(id, newLabel, shape, pixels);
  }

  /**
   * Checks that this image has the shape a model declares.
   *
   * @throws IllegalArgumentException naming the sample and both shapes when they differ
   */
  public Sample requireShape(ImageShape expected) {
    if (!shape.equals(expected)) {
      throw new IllegalArgumentException(
          "Cannot use sample "
              + id
              + ": its image is "
              + shape
              + " (CxHxW) but the model expects "
              + expected
              + "; resize or convert the images, or give the model's input shape");
    }
    return this;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Sample s
        && label == s.label
        && id.equals(s.id)
        && shape.equals(s.shape)
        && Arrays.equals(pixels, s.pixels);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, label, shape, Arrays.hashCode(pixels));
  }

  @Override
  public String toString() {
    return "Sample[id=" + id + ", label=" + label + ", shape=" + shape + "]";
  }
}
