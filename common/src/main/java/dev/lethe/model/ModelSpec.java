package dev.lethe.model;

import dev.lethe.data.ImageShape;
import dev.lethe.data.Resize;
import dev.lethe.data.Sample;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What Lethe needs to know about a classifier: its input shape, its number of classes, the optional
 * mean/std normalisation applied inside the forward pass (so inputs stay in [0,1] pixel space), and
 * the optional class names (used to map image folders to class indices), and the optional resize
 * the model's image pipeline applies before the model (torchvision's {@code Resize} then {@code
 * CenterCrop} to the input's height and width; null when images are used at their size).
 *
 * <p>Build one with {@link SpecResolver}, which reads a JSON sidecar, options, or infers the
 * values.
 */
public record ModelSpec(
    ImageShape input,
    int numClasses,
    float[] mean,
    float[] std,
    List<String> classNames,
    Resize resize)
    implements Serializable {

  /** A spec whose model takes images at their size (no resize). */
  public ModelSpec(
      ImageShape input, int numClasses, float[] mean, float[] std, List<String> classNames) {
    this(input, numClasses, mean, std, classNames, null);
  }

  public ModelSpec {
    Objects.requireNonNull(input, "input");
    if (numClasses < 2) {
      throw new IllegalArgumentException(
          "Cannot use a model with " + numClasses + " classes: a classifier needs at least 2");
    }
    if ((mean == null) != (std == null)) {
      throw new IllegalArgumentException(
          "Cannot normalise inputs: give both mean and std, or neither");
    }
    if (mean != null) {
      if (mean.length != input.channels() || std.length != input.channels()) {
        throw new IllegalArgumentException(
            "Cannot normalise inputs: mean "
                + Arrays.toString(mean)
                + " and std "
                + Arrays.toString(std)
                + " need one value per channel ("
                + input.channels()
                + ")");
      }
      for (float s : std) {
        if (!(s > 0f)) {
          throw new IllegalArgumentException(
              "Cannot normalise inputs: every std must be positive, got " + Arrays.toString(std));
        }
      }
      mean = mean.clone();
      std = std.clone();
    }
    classNames = classNames == null ? List.of() : List.copyOf(classNames);
    if (!classNames.isEmpty() && classNames.size() != numClasses) {
      throw new IllegalArgumentException(
          "Cannot use class names "
              + classNames
              + ": the model has "
              + numClasses
              + " classes but "
              + classNames.size()
              + " names were given");
    }
  }

  /**
   * {@code s} as this model takes it: resized and centre-cropped when the spec declares a resize
   * and the image is not at the input's height and width already (an image at that size is taken as
   * prepared, so that images Lethe made for the model, such as adversarial examples, are never
   * resized twice), then its channels converted as torchvision converts them ({@link
   * Sample#conformTo}).
   *
   * @throws IllegalArgumentException naming the sample when its image cannot be made to fit
   */
  public Sample conform(Sample s) {
    return resizes(s.shape())
        ? resize.apply(s, input.height(), input.width()).conformTo(input)
        : s.conformTo(input);
  }

  /** Whether {@link #conform} resizes an image of {@code shape}. */
  public boolean resizes(ImageShape shape) {
    return resize != null && (shape.height() != input.height() || shape.width() != input.width());
  }

  /** Whether {@link #conform} takes an image of {@code shape}. */
  public boolean accepts(ImageShape shape) {
    return Sample.convertible(
        resizes(shape) ? new ImageShape(shape.channels(), input.height(), input.width()) : shape,
        input);
  }

  /** True when a mean/std normalisation is applied inside the forward pass. */
  public boolean normalises() {
    return mean != null;
  }

  @Override
  public float[] mean() {
    return mean == null ? null : mean.clone();
  }

  @Override
  public float[] std() {
    return std == null ? null : std.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelSpec s
        && numClasses == s.numClasses
        && input.equals(s.input)
        && Arrays.equals(mean, s.mean)
        && Arrays.equals(std, s.std)
        && classNames.equals(s.classNames)
        && Objects.equals(resize, s.resize);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        input, numClasses, Arrays.hashCode(mean), Arrays.hashCode(std), classNames, resize);
  }

  @Override
  public String toString() {
    return "ModelSpec[input="
        + input
        + ", classes="
        + numClasses
        + (mean == null ? "" : ", mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std))
        + (classNames.isEmpty() ? "" : ", names=" + classNames)
        + (resize == null ? "" : ", resize=" + resize.spelled())
        + "]";
  }
}
