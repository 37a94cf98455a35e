package dev.lethe.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes PNG, JPEG, BMP or TIFF bytes (through {@code javax.imageio}) into a {@link Sample} at the
 * image's native size. Grayscale images (8- or 16-bit, with or without alpha) give one channel,
 * scaled by the largest value their bit depth holds; every other image gives three RGB channels in
 * sRGB. Alpha is dropped. Listing files is left to the caller, so bytes may come from any file
 * system.
 */
public final class ImageDecoder {

  private ImageDecoder() {}

  /**
   * Decodes one image.
   *
   * @param id names the sample, and the image in error messages (e.g. its path)
   * @param label the class index
   * @param bytes the encoded image, PNG or JPEG
   * @throws IllegalArgumentException naming {@code id} when the bytes are not a readable image
   */
  public static Sample decode(String id, int label, byte[] bytes) {
    BufferedImage image = read(id, bytes);
    int height = image.getHeight();
    int width = image.getWidth();
    if (height <= 0 || width <= 0) {
      throw new IllegalArgumentException(
          "Cannot decode image "
              + id
              + ": it is empty ("
              + width
              + "x"
              + height
              + " pixels)"
              + "; give a non-empty PNG or JPEG image");
    }
    ColorModel model = image.getColorModel();
    if (model.getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
      return new Sample(id, label, new ImageShape(1, height, width), gray(image));
    }
    return new Sample(id, label, new ImageShape(3, height, width), rgb(image));
  }

  private static BufferedImage read(String id, byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      throw new IllegalArgumentException(
          "Cannot decode image " + id + ": it has no bytes; give a PNG or JPEG image");
    }
    long[] size = new long[2];
    BufferedImage image;
    try {
      image = decode(bytes, size);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "Cannot decode image "
              + id
              + ": its "
              + bytes.length
              + " bytes are corrupt ("
              + e.getMessage()
              + "); give an intact PNG or JPEG image",
          e);
    }
    if (size[0] * size[1] > ImageShape.MAX_PIXELS) {
      throw new IllegalArgumentException(
          "Cannot decode image "
              + id
              + ": it declares "
              + size[0]
              + "x"
              + size[1]
              + " pixels, more than the "
              + ImageShape.MAX_PIXELS
              + " (4096x4096) Lethe decodes; give a smaller image, or an intact one if it is not"
              + " that large");
    }
    if (image == null) {
      throw new IllegalArgumentException(
          "Cannot decode image "
              + id
              + ": its "
              + bytes.length
              + " bytes are not in a format javax.imageio can read; give a PNG or JPEG image");
    }
    return image;
  }

  /**
   * As {@code ImageIO.read}, but reads the declared width and height into {@code size} first and
   * decodes nothing (null) when they exceed {@link ImageShape#MAX_PIXELS}: a corrupt header would
   * otherwise allocate, and decode, gigabytes of pixels. Null, with size 0x0, for bytes no reader
   * recognises.
   */
  private static BufferedImage decode(byte[] bytes, long[] size) throws IOException {
    try (ImageInputStream stream =
        ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(stream);
      if (!readers.hasNext()) {
        return null;
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(stream, true, true);
        size[0] = reader.getWidth(0);
        size[1] = reader.getHeight(0);
        if (size[0] * size[1] > ImageShape.MAX_PIXELS) {
          return null;
        }
        return reader.read(0);
      } finally {
        reader.dispose();
      }
    }
  }

  private static float[] gray(BufferedImage image) {
    Raster raster = image.getRaster();
    int bits = image.getColorModel().getComponentSize(0);
    float max = (float) ((1L << bits) - 1);
    int height = image.getHeight();
    int width = image.getWidth();
    float[] pixels = new float[height * width];
    int[] row = new int[width];
    for (int y = 0; y < height; y++) {
      raster.getSamples(0, y, width, 1, 0, row);
      for (int x = 0; x < width; x++) {
        pixels[y * width + x] = row[x] / max;
      }
    }
    return pixels;
  }

  private static float[] rgb(BufferedImage image) {
    int height = image.getHeight();
    int width = image.getWidth();
    int plane = height * width;
    float[] pixels = new float[3 * plane];
    int[] row = new int[width];
    for (int y = 0; y < height; y++) {
      image.getRGB(0, y, width, 1, row, 0, width);
      for (int x = 0; x < width; x++) {
        int argb = row[x];
        int at = y * width + x;
        pixels[at] = ((argb >>> 16) & 0xff) / 255f;
        pixels[plane + at] = ((argb >>> 8) & 0xff) / 255f;
        pixels[2 * plane + at] = (argb & 0xff) / 255f;
      }
    }
    return pixels;
  }
}
