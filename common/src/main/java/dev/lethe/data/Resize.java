package dev.lethe.data;

import java.io.Serializable;
import java.util.List;

/**
 * The resize a model's own image pipeline applies before the model sees an image, as torchvision
 * writes it: {@code Resize(size)} (the shorter side to {@code size} pixels, the aspect ratio kept,
 * bilinear as PIL resamples) or {@code Resize((height, width))} (exactly that size, the aspect
 * ratio not kept), and then {@code CenterCrop} to the model's input height and width. {@code
 * Resize(256)} then {@code CenterCrop(224)} is a {@code Resize} of 256 for a model whose input is
 * 224x224; {@code Resize(32)} alone is a {@code Resize} of 32 for a 32x32 model; {@code
 * Resize((224, 224))} is {@link #exact exact(224, 224)}. Exactly one form is set: {@code size}
 * above zero and {@code height} and {@code width} zero, or the other way round.
 *
 * <p>The pixels are PIL's: an image's 8-bit values are resampled as {@code Image.resize(...,
 * BILINEAR)} does (the triangle filter widened by the scale when shrinking, so it averages rather
 * than skips; 22-bit fixed-point weights; each pass rounded to 8 bits, the horizontal one first),
 * and the crop offsets are torchvision's (rounded half to even; an image smaller than the crop is
 * padded with zeros first). A model file does not record this step, so Lethe applies it only when
 * the model's sidecar or an option declares it.
 */
public record Resize(int size, int height, int width) implements Serializable {

  /** The largest shorter side a resize may ask for, as {@link ImageShape} caps an image's sides. */
  public static final int MAX_SIZE = 4096;

  /** How a refusal of an image of another size tells the user to declare the resize. */
  public static final String DECLARE_IT =
      "declare the resize the model's pipeline applies (--resize, or \"resize\" in its sidecar)";

  /** The bilinear filter's half-width at scale 1. */
  private static final double SUPPORT = 1.0;

  /** PIL's fixed-point precision for 8-bit images ({@code 32 - 8 - 2}). */
  private static final int PRECISION_BITS = 22;

  public Resize {
    if (height == 0 && width == 0) {
      if (size < 1 || size > MAX_SIZE) {
        throw new IllegalArgumentException(
            "Cannot resize images to a shorter side of "
                + size
                + " pixels: give a size from 1 to "
                + MAX_SIZE);
      }
    } else if (size != 0 || height < 1 || width < 1 || height > MAX_SIZE || width > MAX_SIZE) {
      throw new IllegalArgumentException(
          "Cannot resize images to "
              + height
              + "x"
              + width
              + " pixels: give a height and a width from 1 to "
              + MAX_SIZE);
    }
  }

  /**
   * torchvision's {@code Resize(size)}: the shorter side to {@code size}, the aspect ratio kept.
   */
  public Resize(int size) {
    this(size, 0, 0);
  }

  /** torchvision's {@code Resize((height, width))}: every image to exactly that size. */
  public static Resize exact(int height, int width) {
    return new Resize(0, height, width);
  }

  /**
   * The resize written as torchvision's argument is: {@code "256"} (shorter side) or {@code
   * "224,224"} (height and width; {@code 224x224} also reads).
   *
   * @throws IllegalArgumentException saying what is wrong, for the caller to name the input
   */
  public static Resize parse(String text) {
    String[] parts = text.trim().split("\\s*[,xX]\\s*", -1);
    if (parts.length > 2) {
      throw new IllegalArgumentException(
          "give the shorter side (256) or the height and width (224,224), not "
              + parts.length
              + " numbers");
    }
    int[] values = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        values[i] = Integer.parseInt(parts[i]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + parts[i] + "' is not a whole number of pixels", e);
      }
    }
    return values.length == 1 ? new Resize(values[0]) : exact(values[0], values[1]);
  }

  /** Whether this is torchvision's {@code Resize((height, width))} form. */
  public boolean isExact() {
    return size == 0;
  }

  /**
   * The input size a pipeline with this resize and no crop of its own hands the model: {@code size
   * x size} (torchvision's {@code Resize(size)} then a centre crop of the same size, as square
   * models take it) or {@code height x width}.
   */
  public int[] uncroppedInput() {
    return isExact() ? new int[] {height, width} : new int[] {size, size};
  }

  /** As a sidecar writes it: the shorter side, or {@code [height, width]}. */
  public Object json() {
    return isExact() ? List.of(height, width) : (Object) size;
  }

  /** As an option takes it: {@code 256} or {@code 224,224}. */
  public String spelled() {
    return isExact() ? height + "," + width : Integer.toString(size);
  }

  /** What it does to an image, for log lines: "a shorter side of 256" or "224x224". */
  public String target() {
    return isExact() ? height + "x" + width : "a shorter side of " + size;
  }

  /**
   * {@code image} as the model's pipeline hands it over: resized (shorter side to {@link #size})
   * and centre-cropped to {@code height} x {@code width}; same id, label and channels.
   *
   * @throws IllegalArgumentException naming the sample when the resized image would have more than
   *     {@link ImageShape#MAX_PIXELS} pixels (an extreme aspect ratio)
   */
  public Sample apply(Sample image, int height, int width) {
    ImageShape in = image.shape();
    int h = in.height();
    int w = in.width();
    int[] scaled = scaledSize(h, w);
    int outH = scaled[0];
    int outW = scaled[1];
    if ((long) outH * outW > ImageShape.MAX_PIXELS) {
      throw new IllegalArgumentException(
          "Cannot resize sample "
              + image.id()
              + ": its image is "
              + h
              + "x"
              + w
              + " and "
              + target()
              + " makes it "
              + outH
              + "x"
              + outW
              + ", more than 4096x4096 pixels; crop the image to a usual aspect ratio first");
    }
    int channels = in.channels();
    float[] out = new float[channels * height * width];
    int[] plane = new int[h * w];
    for (int c = 0; c < channels; c++) {
      for (int i = 0; i < plane.length; i++) {
        float v = image.pixels()[c * h * w + i];
        plane[i] = Math.max(0, Math.min(255, Math.round(v * 255f)));
      }
      int[] resized = plane;
      int rw = w;
      if (outW != w) {
        resized = horizontal(resized, h, w, outW);
        rw = outW;
      }
      if (outH != h) {
        resized = vertical(resized, h, rw, outH);
      }
      crop(resized, outH, outW, out, c * height * width, height, width);
    }
    return new Sample(image.id(), image.label(), new ImageShape(channels, height, width), out);
  }

  /**
   * {@code image} resized as {@link #apply} resizes it but not yet cropped, for a reader to hold a
   * folder of large photos at the size the model's pipeline makes of them rather than at their own:
   * {@link dev.lethe.model.ModelSpec#conform} of the result equals {@code conform} of {@code
   * image}, since resizing an image already at this resize's size is no resampling, only the crop.
   * An image at {@code input}'s height and width (when the input shape is known) is left as it is,
   * as {@code conform} leaves it.
   *
   * @param input the model's input shape, or null while it is not known (it is then this resize's
   *     {@link #uncroppedInput}, at which size an image is left as it is here too)
   */
  public Sample toSize(Sample image, ImageShape input) {
    ImageShape in = image.shape();
    if (input != null && in.height() == input.height() && in.width() == input.width()) {
      return image;
    }
    int[] scaled = scaledSize(in.height(), in.width());
    if (scaled[0] == in.height() && scaled[1] == in.width()) {
      return image;
    }
    return apply(image, scaled[0], scaled[1]);
  }

  /**
   * The height and width this resize gives an image of {@code h} x {@code w}: for {@code
   * Resize(size)} the shorter side becomes {@link #size}, the longer {@code floor(size * longer /
   * shorter)}, as torchvision computes it; for the exact form {@link #height} x {@link #width}.
   */
  int[] scaledSize(int h, int w) {
    if (isExact()) {
      return new int[] {height, width};
    }
    if (w <= h) {
      return new int[] {(int) ((long) size * h / w), size};
    }
    return new int[] {size, (int) ((long) size * w / h)};
  }

  @Override
  public String toString() {
    return isExact()
        ? "resize to " + height + "x" + width + " (bilinear) then centre crop"
        : "resize " + size + " (shorter side, bilinear) then centre crop";
  }

  /** PIL's resampling weights of one output row or column: its first input index and weights. */
  private record Coefficients(int[] first, int[] count, int[][] weights) {}

  private static Coefficients coefficients(int inSize, int outSize) {
    double scale = (double) inSize / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = SUPPORT * filterScale;
    int[] first = new int[outSize];
    int[] count = new int[outSize];
    int[][] weights = new int[outSize][];
    for (int o = 0; o < outSize; o++) {
      double center = (o + 0.5) * scale;
      int min = Math.max(0, (int) (center - support + 0.5));
      int max = Math.min(inSize, (int) (center + support + 0.5)) - min;
      double[] k = new double[Math.max(0, max)];
      double sum = 0;
      for (int x = 0; x < k.length; x++) {
        double t = Math.abs((x + min - center + 0.5) / filterScale);
        k[x] = t < 1.0 ? 1.0 - t : 0.0;
        sum += k[x];
      }
      int[] fixed = new int[k.length];
      for (int x = 0; x < k.length; x++) {
        double v = sum != 0.0 ? k[x] / sum : k[x];
        double scaled = v * (1 << PRECISION_BITS);
        fixed[x] = (int) (v < 0 ? -0.5 + scaled : 0.5 + scaled);
      }
      first[o] = min;
      count[o] = k.length;
      weights[o] = fixed;
    }
    return new Coefficients(first, count, weights);
  }

  private static int clip8(int v) {
    if (v >= (1 << PRECISION_BITS << 8)) {
      return 255;
    }
    return v <= 0 ? 0 : v >> PRECISION_BITS;
  }

  private static int[] horizontal(int[] in, int h, int w, int outW) {
    Coefficients k = coefficients(w, outW);
    int[] out = new int[h * outW];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < outW; x++) {
        int acc = 1 << (PRECISION_BITS - 1);
        int[] weights = k.weights()[x];
        int base = y * w + k.first()[x];
        for (int i = 0; i < k.count()[x]; i++) {
          acc += in[base + i] * weights[i];
        }
        out[y * outW + x] = clip8(acc);
      }
    }
    return out;
  }

  private static int[] vertical(int[] in, int h, int w, int outH) {
    Coefficients k = coefficients(h, outH);
    int[] out = new int[outH * w];
    for (int y = 0; y < outH; y++) {
      int[] weights = k.weights()[y];
      int first = k.first()[y];
      for (int x = 0; x < w; x++) {
        int acc = 1 << (PRECISION_BITS - 1);
        for (int i = 0; i < k.count()[y]; i++) {
          acc += in[(first + i) * w + x] * weights[i];
        }
        out[y * w + x] = clip8(acc);
      }
    }
    return out;
  }

  /**
   * torchvision's {@code CenterCrop}: zero padding where the image is smaller than the crop ({@code
   * (crop - size) // 2} before, the rest after), then the crop at {@code round((size - crop) / 2)},
   * rounded half to even as Python rounds.
   */
  private static void crop(int[] in, int h, int w, float[] out, int offset, int height, int width) {
    int padTop = height > h ? (height - h) / 2 : 0;
    int padLeft = width > w ? (width - w) / 2 : 0;
    int paddedH = Math.max(h, height);
    int paddedW = Math.max(w, width);
    int top = (int) Math.rint((paddedH - height) / 2.0);
    int left = (int) Math.rint((paddedW - width) / 2.0);
    for (int y = 0; y < height; y++) {
      int sy = y + top - padTop;
      for (int x = 0; x < width; x++) {
        int sx = x + left - padLeft;
        int v = sy >= 0 && sy < h && sx >= 0 && sx < w ? in[sy * w + sx] : 0;
        out[offset + y * width + x] = v / 255f;
      }
    }
  }
}
