package dev.lethe.data;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Encodes a {@link Sample} as an 8-bit image: one channel as grayscale, three channels as RGB. Each
 * value becomes {@code round(pixel * 255)}, clamped to 0..255. The inverse of {@link ImageDecoder}
 * (exactly for PNG, approximately for JPEG).
 */
public final class ImageEncoder {

  private ImageEncoder() {}

  /**
   * Encodes a sample as a PNG.
   *
   * @throws IllegalArgumentException naming the sample when it has neither 1 nor 3 channels
   */
  public static byte[] png(Sample sample) {
    BufferedImage image = toImage(sample);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, "png", out)) {
        throw new IllegalStateException(
            "Cannot encode sample " + sample.id() + " as PNG: this JVM has no PNG writer");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot encode sample " + sample.id() + " as PNG: " + e.getMessage(), e);
    }
    return out.toByteArray();
  }

  /**
   * Encodes a sample as a JPEG.
   *
   * @param quality 0 (smallest) to 1 (best)
   * @throws IllegalArgumentException naming the sample when it has neither 1 nor 3 channels
   */
  public static byte[] jpeg(Sample sample, float quality) {
    if (!(quality >= 0f && quality <= 1f)) {
      throw new IllegalArgumentException(
          "Cannot encode sample "
              + sample.id()
              + " as JPEG: quality "
              + quality
              + " is outside 0..1; give a value from 0 to 1");
    }
    BufferedImage image = toImage(sample);
    Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
    if (!writers.hasNext()) {
      throw new IllegalStateException(
          "Cannot encode sample " + sample.id() + " as JPEG: this JVM has no JPEG writer");
    }
    ImageWriter writer = writers.next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ImageOutputStream stream = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(stream);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(quality);
      writer.write(null, new IIOImage(image, null, null), param);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot encode sample " + sample.id() + " as JPEG: " + e.getMessage(), e);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  private static BufferedImage toImage(Sample sample) {
    ImageShape shape = sample.shape();
    int height = shape.height();
    int width = shape.width();
    int plane = height * width;
    float[] pixels = sample.pixels();
    if (shape.channels() == 1) {
      BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
      WritableRaster raster = image.getRaster();
      int[] row = new int[width];
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          row[x] = toByte(pixels[y * width + x]);
        }
        raster.setSamples(0, y, width, 1, 0, row);
      }
      return image;
    }
    if (shape.channels() == 3) {
      BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
      int[] row = new int[width];
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          int at = y * width + x;
          row[x] =
              toByte(pixels[at]) << 16
                  | toByte(pixels[plane + at]) << 8
                  | toByte(pixels[2 * plane + at]);
        }
        image.setRGB(0, y, width, 1, row, 0, width);
      }
      return image;
    }
    throw new IllegalArgumentException(
        "Cannot encode sample "
            + sample.id()
            + ": it has "
            + shape.channels()
            + " channels ("
            + shape
            + ") but images need 1 (gray) or 3 (RGB); convert the sample first");
  }

  private static int toByte(float value) {
    int v = Math.round(value * 255f);
    return v < 0 ? 0 : Math.min(v, 255);
  }
}
