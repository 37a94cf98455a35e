package dev.lethe.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lethe.data.ImageShape;
import dev.lethe.data.Sample;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The committed test fixtures (common/src/test/resources/fixtures, made by
 * deploy/python/make_fixtures.py): real sklearn digits (8x8) and two small TorchScript models.
 */
public final class Fixtures {

  private Fixtures() {}

  /** Path of a fixture file. */
  public static Path path(String name) {
    try {
      return Path.of(Fixtures.class.getResource("/fixtures/" + name).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("missing fixture " + name, e);
    }
  }

  /** The small CNN with BatchNorm; it has a JSON sidecar. */
  public static Path cnn() {
    return path("digits-cnn-bn.pt");
  }

  /** The MLP without BatchNorm and without a sidecar. */
  public static Path mlp() {
    return path("digits-mlp.pt");
  }

  /** Digits train split (1,297 images). */
  public static List<Sample> train() {
    return digits("train");
  }

  /** Digits test split (500 images). */
  public static List<Sample> test() {
    return digits("test");
  }

  /** The PyTorch reference outputs written by the fixture script. */
  public static JsonNode reference() {
    try {
      return new ObjectMapper().readTree(path("reference.json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads a JSON array of numbers as floats. */
  public static float[] floats(JsonNode array) {
    float[] out = new float[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) array.get(i).asDouble();
    }
    return out;
  }

  // A minimal IDX reader so fixtures do not depend on the code under test.
  private static List<Sample> digits(String split) {
    byte[] images = gunzip(path("digits-" + split + "-images-idx3-ubyte.gz"));
    byte[] labels = gunzip(path("digits-" + split + "-labels-idx1-ubyte.gz"));
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(images))) {
      in.readInt();
      int n = in.readInt();
      int h = in.readInt();
      int w = in.readInt();
      ImageShape shape = new ImageShape(1, h, w);
      List<Sample> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        float[] px = new float[h * w];
        for (int j = 0; j < px.length; j++) {
          px[j] = in.readUnsignedByte() / 255f;
        }
        out.add(new Sample(split + "/" + i, labels[8 + i], shape, px));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] gunzip(Path p) {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
