package dev.lethe.data;

import java.io.Serializable;

/** The shape of one image as a model consumes it: channels, height and width (CHW). */
public record ImageShape(int channels, int height, int width) implements Serializable {

  public ImageShape {
    if (channels <= 0 || height <= 0 || width <= 0) {
      throw new IllegalArgumentException(
          "Cannot make an image shape: channels, height and width must be positive, got "
              + channels
              + "x"
              + height
              + "x"
              + width);
    }
  }

  /** Number of values in one image. */
  public int size() {
    return channels * height * width;
  }

  @Override
  public String toString() {
    return channels + "x" + height + "x" + width;
  }
}
