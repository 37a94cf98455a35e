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
   * This image in the shape a model declares, converting channels the way torchvision's image
   * pipeline does when only they differ: a one-channel image for a three-channel model repeats its
   * channel (PIL's {@code convert("RGB")}, which {@code ImageFolder} applies to every image), a
   * three-channel image for a one-channel model becomes its luma {@code 0.299 R + 0.587 G + 0.114
   * B} (PIL's {@code convert("L")}, torchvision's {@code Grayscale}). Same id and label.
   *
   * @throws IllegalArgumentException naming the sample and both shapes when they differ otherwise
   */
  public Sample conformTo(ImageShape expected) {
    if (shape.equals(expected)) {
      return this;
    }
    if (!convertible(shape, expected)) {
      throw new IllegalArgumentException(
          "Cannot use sample "
              + id
              + ": its image is "
              + shape
              + " (CxHxW) but the model expects "
              + expected
              + "; resize the images, "
              + Resize.DECLARE_IT
              + ", or give the model's input shape");
    }
    int plane = shape.height() * shape.width();
    float[] out = new float[expected.size()];
    if (shape.channels() == 1) {
      for (int c = 0; c < 3; c++) {
        System.arraycopy(pixels, 0, out, c * plane, plane);
      }
    } else {
      for (int i = 0; i < plane; i++) {
        float r = pixels[i];
        float g = pixels[plane + i];
        float b = pixels[2 * plane + i];
        // a gray pixel stays exactly itself, as in PIL's integer luma
        out[i] = r == g && g == b ? r : 0.299f * r + 0.587f * g + 0.114f * b;
      }
    }
    return new Sample(id, label, expected, out);
  }

  /**
   * Whether {@link #conformTo} turns an image of shape {@code from} into one of shape {@code to}:
   * the same shape, or the same height and width with one channel against three.
   */
  public static boolean convertible(ImageShape from, ImageShape to) {
    return from.equals(to)
        || (from.height() == to.height()
            && from.width() == to.width()
            && from.channels() + to.channels() == 4
            && from.channels() != 2);
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
