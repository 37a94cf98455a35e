package dev.lethe.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lethe.model.ModelSpec;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Lethe's resize against PIL's own pixels: the fixtures (deploy/python/make_resize_fixtures.py)
 * hold images and what torchvision's Resize then CenterCrop made of them with PIL 9.4, shrinking,
 * enlarging, padding and cropping off-centre.
 */
class ResizeTest {

  private static final String DIR = "/fixtures/resize/";

  @Test
  void everyPixelEqualsPilsResizeAndTorchvisionsCentreCrop() throws IOException {
    JsonNode cases = new ObjectMapper().readTree(read("cases.json")).get("cases");
    List<String> checked = new ArrayList<>();
    for (JsonNode c : cases) {
      String name = c.get("name").asText();
      Sample in = ImageDecoder.decode(name, 3, read(name + "-in.png"));
      Sample expected = ImageDecoder.decode(name, 3, read(name + "-out.png"));
      int height = c.get("height").asInt();
      int width = c.get("width").asInt();
      JsonNode size = c.get("size");
      Resize resize =
          size.isArray()
              ? Resize.exact(size.get(0).asInt(), size.get(1).asInt())
              : new Resize(size.asInt());
      assertEquals(
          resize, Resize.parse(size.isArray() ? size.get(0) + "," + size.get(1) : size.asText()));
      Sample out = resize.apply(in, height, width);
      assertEquals(expected.shape(), out.shape(), name);
      assertEquals(in.id(), out.id());
      assertEquals(3, out.label());
      assertArrayEquals(expected.pixels(), out.pixels(), name + ": every 8-bit value as PIL's");
      checked.add(name);
    }
    assertEquals(8, checked.size(), "cases read: " + checked);
  }

  @Test
  void theShorterSideBecomesTheSizeAndTheLongerKeepsTheAspectRatio() {
    Resize r = new Resize(256);
    assertArrayEquals(new int[] {256, 341}, r.scaledSize(480, 640)); // int(256 * 640 / 480)
    assertArrayEquals(new int[] {384, 256}, r.scaledSize(600, 400));
    assertArrayEquals(new int[] {256, 256}, r.scaledSize(28, 28));
  }

  @Test
  void resizingAsAnImageIsReadThenCroppingGivesThePixelsOfBothAtOnce() throws IOException {
    JsonNode cases = new ObjectMapper().readTree(read("cases.json")).get("cases");
    for (JsonNode c : cases) {
      String name = c.get("name").asText();
      Sample in = ImageDecoder.decode(name, 3, read(name + "-in.png"));
      JsonNode size = c.get("size");
      Resize resize =
          size.isArray()
              ? Resize.exact(size.get(0).asInt(), size.get(1).asInt())
              : new Resize(size.asInt());
      ImageShape input =
          new ImageShape(in.shape().channels(), c.get("height").asInt(), c.get("width").asInt());
      ModelSpec spec = new ModelSpec(input, 10, null, null, List.of(), resize);
      Sample early = resize.toSize(in, input);
      assertArrayEquals(
          spec.conform(in).pixels(), spec.conform(early).pixels(), name + ": the same pixels");
      int[] scaled = resize.scaledSize(in.shape().height(), in.shape().width());
      assertEquals(
          new ImageShape(in.shape().channels(), scaled[0], scaled[1]), early.shape(), name);
    }
    Sample atInput = new Sample("a", 0, new ImageShape(1, 4, 6), new float[24]);
    assertSame(atInput, new Resize(8).toSize(atInput, new ImageShape(1, 4, 6)));
    assertSame(
        atInput,
        Resize.exact(4, 6).toSize(atInput, null),
        "at the resize's own size, with the input not yet known");
  }

  @Test
  void theExactFormIgnoresTheAspectRatioAndReadsAsTorchvisionWritesIt() {
    Resize r = Resize.exact(224, 160);
    assertArrayEquals(new int[] {224, 160}, r.scaledSize(480, 640));
    assertArrayEquals(new int[] {224, 160}, r.uncroppedInput());
    assertEquals(r, Resize.parse(" 224 x 160 "));
    assertEquals(List.of(224, 160), r.json());
    assertEquals("224x160", r.target());
    assertEquals("224,160", r.spelled());
    assertEquals(256, new Resize(256).json());
    assertEquals("a shorter side of 256", Resize.parse("256").target());
    IllegalArgumentException three =
        assertThrows(IllegalArgumentException.class, () -> Resize.parse("3,224,224"));
    assertTrue(three.getMessage().contains("not 3 numbers"), three.getMessage());
    IllegalArgumentException zero =
        assertThrows(IllegalArgumentException.class, () -> Resize.exact(224, 0));
    assertTrue(zero.getMessage().contains("224x0 pixels"), zero.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Resize.parse("224,big"));
  }

  @Test
  void anImageAlreadyAtTheSizeIsOnlyCropped() {
    float[] pixels = new float[6 * 6];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = i / 255f;
    }
    Sample s = new Sample("a", 0, new ImageShape(1, 6, 6), pixels);
    Sample out = new Resize(6).apply(s, 4, 4);
    // round((6 - 4) / 2) = 1: rows and columns 1..4
    assertEquals(7 / 255f, out.pixels()[0]);
    assertEquals(28 / 255f, out.pixels()[15]);
    Sample same = new Resize(6).apply(s, 6, 6);
    assertArrayEquals(s.pixels(), same.pixels());
    assertSame(s.id(), same.id());
  }

  @Test
  void aSizeOutsideOneTo4096OrAnImageThatWouldOutgrowItIsRefusedNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Resize(0));
    assertTrue(e.getMessage().contains("shorter side of 0 pixels"), e.getMessage());
    Sample banner = new Sample("banner", 0, new ImageShape(1, 2, 4096), new float[2 * 4096]);
    IllegalArgumentException huge =
        assertThrows(IllegalArgumentException.class, () -> new Resize(256).apply(banner, 8, 8));
    assertTrue(
        huge.getMessage().startsWith("Cannot resize sample banner: its image is 2x4096"),
        huge.getMessage());
  }

  private static byte[] read(String name) throws IOException {
    try (InputStream in = ResizeTest.class.getResourceAsStream(DIR + name)) {
      if (in == null) {
        throw new IOException("missing fixture " + DIR + name);
      }
      return in.readAllBytes();
    }
  }
}
