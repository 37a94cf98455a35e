package dev.lethe.data;

import java.io.Serializable;

/** The shape of one image as a model consumes it: channels, height and width (CHW). */
public record ImageShape(int channels, int height, int width) implements Serializable {

  /**
   * The most pixels (height times width) of one image Lethe reads: 4096x4096. A header that
   * declares more is corrupt, or the image is far larger than a classifier takes; refusing it keeps
   * a few bad bytes from allocating gigabytes (or overflowing an array size).
   */
  public static final long MAX_PIXELS = 1L << 24;

  /** The most channels of one image: with {@link #MAX_PIXELS}, {@link #size} fits an int. */
  public static final int MAX_CHANNELS = 64;

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
    if ((long) height * width > MAX_PIXELS || channels > MAX_CHANNELS) {
      throw new IllegalArgumentException(
          "Cannot make an image shape "
              + channels
              + "x"
              + height
              + "x"
              + width
              + ": it has more than "
              + MAX_PIXELS
              + " pixels (4096x4096) or more than "
              + MAX_CHANNELS
              + " channels; give a smaller shape");
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
