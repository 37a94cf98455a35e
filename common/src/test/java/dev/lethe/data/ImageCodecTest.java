package dev.lethe.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lethe.testing.Fixtures;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ImageCodecTest {

  @Test
  void grayPngRoundTripIsExact() {
    Sample digit = Fixtures.test().get(7);

    Sample back = ImageDecoder.decode(digit.id(), digit.label(), ImageEncoder.png(digit));

    assertThat(back.shape()).as("gray stays one channel").isEqualTo(new ImageShape(1, 8, 8));
    assertThat(back.pixels()).as("8-bit gray pixels").containsExactly(digit.pixels());
    assertThat(back.label()).as("label passed through").isEqualTo(digit.label());
  }

  @Test
  void rgbPngRoundTripIsExactToOneStep() {
    Sample colour = randomSample(3, 5, 7, 1);

    Sample back = ImageDecoder.decode("rgb", 4, ImageEncoder.png(colour));

    assertThat(back.shape()).as("RGB shape").isEqualTo(new ImageShape(3, 5, 7));
    assertThat(back.pixels())
        .as("RGB pixels within half a step of 1/255")
        .containsExactly(colour.pixels(), within(0.5f / 255f + 1e-6f));
    assertThat(back.pixels()[5 * 7])
        .as("green plane starts after the red plane")
        .isCloseTo(colour.pixels()[5 * 7], within(1f / 255f));
  }

  @Test
  void jpegRoundTripIsClose() {
    Sample smooth = gradient(3, 16, 16);
    Sample graySmooth = gradient(1, 16, 16);

    Sample back = ImageDecoder.decode("jpg", 1, ImageEncoder.jpeg(smooth, 0.95f));
    Sample grayBack = ImageDecoder.decode("gray.jpg", 1, ImageEncoder.jpeg(graySmooth, 0.95f));

    assertThat(back.shape()).as("colour JPEG shape").isEqualTo(smooth.shape());
    assertThat(grayBack.shape()).as("gray JPEG stays one channel").isEqualTo(graySmooth.shape());
    assertThat(maxDiff(back, smooth)).as("colour JPEG error").isLessThan(0.08f);
    assertThat(maxDiff(grayBack, graySmooth)).as("gray JPEG error").isLessThan(0.05f);
  }

  @Test
  void sixteenBitGrayIsScaledToUnitRange() throws IOException {
    BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
    image.getRaster().setSample(0, 0, 0, 65535);
    image.getRaster().setSample(1, 0, 0, 32768);

    Sample s = ImageDecoder.decode("deep", 0, png(image));

    assertThat(s.shape()).as("16-bit gray shape").isEqualTo(new ImageShape(1, 1, 2));
    assertThat(s.pixels()[0]).as("white").isEqualTo(1f);
    assertThat(s.pixels()[1]).as("mid gray").isCloseTo(0.5f, within(1e-4f));
  }

  @Test
  void alphaIsDropped() throws IOException {
    BufferedImage image = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
    image.setRGB(0, 0, 0x80ff0000);

    Sample s = ImageDecoder.decode("rgba", 0, png(image));

    assertThat(s.shape()).as("RGBA becomes RGB").isEqualTo(new ImageShape(3, 1, 1));
    assertThat(s.pixels()).as("red, not premultiplied").containsExactly(1f, 0f, 0f);
  }

  /**
   * Found by InputReadersFuzzTest: a PNG whose header declares 32767x32767 pixels took 10 s (and a
   * gigabyte) to fail; the declared size is now checked before anything is decoded.
   */
  @Test
  void anImageDeclaringMorePixelsThanTheLimitIsRefusedBeforeDecoding() {
    byte[] png = ImageEncoder.png(Fixtures.test().get(7));
    java.nio.ByteBuffer.wrap(png).putInt(16, 32767).putInt(20, 32767);

    long start = System.nanoTime();
    assertThatThrownBy(() -> ImageDecoder.decode("3/big.png", 3, png))
        .as("a PNG declaring 32767x32767 pixels")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot decode image 3/big.png: it declares 32767x32767 pixels, more than the"
                + " 16777216 (4096x4096) Lethe decodes; give a smaller image, or an intact one if"
                + " it is not that large");
    assertThat(java.time.Duration.ofNanos(System.nanoTime() - start))
        .as("time to refuse it")
        .isLessThan(java.time.Duration.ofSeconds(2));
  }

  @Test
  void garbageBytesAreRefusedNamingTheImage() {
    byte[] garbage = "definitely not a PNG".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    assertThatThrownBy(() -> ImageDecoder.decode("7/broken.png", 7, garbage))
        .as("unknown format")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("7/broken.png");
    assertThatThrownBy(() -> ImageDecoder.decode("empty.png", 7, new byte[0]))
        .as("no bytes")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty.png");
  }

  @Test
  void truncatedPngIsRefusedNamingTheImage() {
    byte[] whole = ImageEncoder.png(randomSample(3, 32, 32, 2));
    byte[] truncated = Arrays.copyOf(whole, whole.length / 2);

    assertThatThrownBy(() -> ImageDecoder.decode("cut.png", 0, truncated))
        .as("truncated PNG")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cut.png");
  }

  @Test
  void encoderRefusesOtherChannelCounts() {
    Sample twoChannels = new Sample("two", 0, new ImageShape(2, 2, 2), new float[8]);

    assertThatThrownBy(() -> ImageEncoder.png(twoChannels))
        .as("2 channels cannot be an image")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("two")
        .hasMessageContaining("2x2x2");
  }

  static Sample randomSample(int channels, int height, int width, long seed) {
    Random random = new Random(seed);
    float[] pixels = new float[channels * height * width];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = random.nextFloat();
    }
    return new Sample("random", 0, new ImageShape(channels, height, width), pixels);
  }

  private static Sample gradient(int channels, int height, int width) {
    float[] pixels = new float[channels * height * width];
    for (int c = 0; c < channels; c++) {
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          pixels[(c * height + y) * width + x] = (x + y + 4f * c) / (height + width + 8f);
        }
      }
    }
    return new Sample("gradient", 0, new ImageShape(channels, height, width), pixels);
  }

  private static float maxDiff(Sample a, Sample b) {
    float max = 0;
    for (int i = 0; i < a.pixels().length; i++) {
      max = Math.max(max, Math.abs(a.pixels()[i] - b.pixels()[i]));
    }
    return max;
  }

  private static byte[] png(BufferedImage image) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }
}
