package dev.lethe.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.lethe.model.SpecResolver;
import dev.lethe.testing.Fixtures;
import dev.lethe.testing.Mutations;
import dev.lethe.testing.Mutations.Field;
import dev.lethe.testing.Mutations.Mutant;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzes the input readers with thousands of seeded mutants of good inputs: IDX files (header
 * fields, gzip), PNG and JPEG bytes, Parquet files and model sidecars. Each mutant is either read
 * or refused with a clean message (an exception whose cause chain holds a "Cannot ..." message of
 * the kinds the job shows as such, see the job's FailureMessages.describe), never another
 * exception, an error such as OutOfMemoryError, or a hang. A failing case's message names its
 * reader, seed and mutation; {@code -Dfuzz.seed=N} runs only that seed for every reader.
 */
class InputReadersFuzzTest {

  /** The fixed seed every case's seed derives from. */
  private static final long SEED = 0x1E7E_2026L;

  /** Longest a single input may take to be read or refused; far above the usual milliseconds. */
  private static final Duration PER_INPUT = Duration.ofSeconds(5);

  @TempDir Path tmp;

  @Test
  void idxFilesAreReadOrRefusedCleanly() {
    List<Sample> digits = Fixtures.test().subList(0, 20);
    byte[] images = idxImages(digits);
    byte[] labels = idxLabels(digits);
    List<Field> imageFields =
        List.of(
            new Field("magic", 0, 4),
            new Field("type byte", 2, 1),
            new Field("dimension count", 3, 1),
            new Field("image count", 4, 4),
            new Field("height", 8, 4),
            new Field("width", 12, 4));
    List<Field> labelFields = List.of(new Field("magic", 0, 4), new Field("label count", 4, 4));
    fuzz(
        "IdxReader",
        1,
        3000,
        Duration.ofSeconds(60),
        (index, random) -> {
          byte[] img = images;
          byte[] lab = labels;
          String how;
          switch (random.nextInt(5)) {
            case 0 -> {
              Mutant m = Mutations.bytes(images, random, imageFields);
              img = m.bytes();
              how = "images: " + m.how();
            }
            case 1 -> {
              Mutant m = Mutations.bytes(labels, random, labelFields);
              lab = m.bytes();
              how = "labels: " + m.how();
            }
            case 2 -> {
              Mutant m = Mutations.bytes(Mutations.gzip(images), random, List.of());
              img = m.bytes();
              how = "gzipped images: " + m.how();
            }
            case 3 -> {
              Mutant m = Mutations.bytes(images, random, imageFields);
              img = Mutations.gzip(m.bytes());
              how = "images, then gzipped: " + m.how();
            }
            default -> {
              Mutant mi = Mutations.bytes(images, random, imageFields);
              Mutant ml = Mutations.bytes(labels, random, labelFields);
              img = mi.bytes();
              lab = ml.bytes();
              how = "images: " + mi.how() + "; labels: " + ml.how();
            }
          }
          int offset = random.nextInt(4) == 0 ? random.nextInt(30) : 0;
          int limit = random.nextInt(4) == 0 ? random.nextInt(30) : IdxReader.NO_LIMIT;
          byte[] imageBytes = img;
          byte[] labelBytes = lab;
          return new Input(
              how + " (offset " + offset + ", limit " + limit + ")",
              () ->
                  IdxReader.read(
                      new ByteArrayInputStream(imageBytes),
                      "images.idx",
                      new ByteArrayInputStream(labelBytes),
                      "labels.idx",
                      "fuzz",
                      offset,
                      limit));
        });
  }

  @Test
  void pngAndJpegBytesAreDecodedOrRefusedCleanly() {
    Sample gray = Fixtures.test().get(7);
    Sample rgb = rgbOf(Fixtures.test().subList(0, 3));
    List<byte[]> bases =
        List.of(
            ImageEncoder.png(gray),
            ImageEncoder.png(rgb),
            ImageEncoder.jpeg(gray, 0.9f),
            ImageEncoder.jpeg(rgb, 0.9f));
    List<List<Field>> fields = new ArrayList<>();
    for (byte[] base : bases) {
      fields.add(isPng(base) ? pngFields() : jpegFields(base));
    }
    fuzz(
        "ImageDecoder",
        2,
        4000,
        Duration.ofSeconds(90),
        (index, random) -> {
          int which = random.nextInt(bases.size());
          Mutant m = Mutations.bytes(bases.get(which), random, fields.get(which));
          String kind = (which % 2 == 0 ? "gray " : "RGB ") + (which < 2 ? "PNG" : "JPEG");
          return new Input(kind + ": " + m.how(), () -> ImageDecoder.decode("fuzz", 0, m.bytes()));
        });
  }

  /** Every pair of odd values as an image's declared height and width, PNG and JPEG. */
  @Test
  void imagesWithOddDeclaredSizesAreDecodedOrRefusedCleanly() {
    Sample gray = Fixtures.test().get(7);
    byte[] png = ImageEncoder.png(gray);
    byte[] jpeg = ImageEncoder.jpeg(gray, 0.9f);
    Field pngWidth = pngFields().get(1);
    Field pngHeight = pngFields().get(2);
    Field jpegHeight = jpegFields(jpeg).get(2);
    Field jpegWidth = jpegFields(jpeg).get(3);
    long[] sizes = {0, 1, 7, 9, 0x7fff, 0x8000, 0xffff, 0x10000, 46341, 0x7fffffffL, 0xffffffffL};
    int pairs = sizes.length * sizes.length;
    fuzz(
        "ImageDecoder sizes",
        5,
        2 * pairs,
        Duration.ofSeconds(60),
        (index, random) -> {
          boolean isPng = index < pairs;
          long height = sizes[(index % pairs) / sizes.length];
          long width = sizes[index % sizes.length];
          byte[] bytes = (isPng ? png : jpeg).clone();
          set(bytes, isPng ? pngHeight : jpegHeight, height);
          set(bytes, isPng ? pngWidth : jpegWidth, width);
          return new Input(
              (isPng ? "PNG" : "JPEG") + " declaring " + width + "x" + height + " pixels",
              () -> ImageDecoder.decode("fuzz", 0, bytes));
        });
  }

  private static void set(byte[] bytes, Field field, long value) {
    for (int i = 0; i < field.width(); i++) {
      bytes[field.offset() + i] = (byte) (value >>> (8 * (field.width() - 1 - i)));
    }
  }

  @Test
  void modelSidecarsAreReadOrRefusedCleanly() throws IOException {
    List<String> bases =
        List.of(
            Files.readString(Fixtures.path("digits-cnn-bn.lethe.json")),
            "{\"num_classes\": 3, \"input\": {\"channels\": 3, \"height\": 32, \"width\": 32},"
                + " \"mean\": [0.5, 0.5, 0.5], \"std\": [0.25, 0.25, 0.25]}");
    fuzz(
        "SpecResolver.readSidecar",
        3,
        3000,
        Duration.ofSeconds(60),
        (index, random) -> {
          int which = random.nextInt(bases.size());
          Mutant m = Mutations.json(bases.get(which), random);
          return new Input(
              "sidecar " + which + ": " + m.how(),
              () -> SpecResolver.readSidecar(new ByteArrayInputStream(m.bytes()), "fuzz.json"));
        });
  }

  @Test
  void parquetFilesAreReadOrRefusedCleanly() throws IOException {
    Configuration conf = new Configuration();
    Path written = tmp.resolve("written/base.parquet");
    ParquetSampleWriter.write(
        new org.apache.hadoop.fs.Path(written.toUri()), conf, Fixtures.test().subList(0, 6));
    byte[] base = Files.readAllBytes(written);
    List<Field> fields =
        List.of(
            new Field("leading magic", 0, 4),
            new Field("footer length", base.length - 8, 4),
            new Field("trailing magic", base.length - 4, 4));
    // Written with java.nio, so Hadoop's local file system finds no .crc file to check it against.
    Path file = tmp.resolve("fuzz.parquet");
    org.apache.hadoop.fs.Path hadoopFile = new org.apache.hadoop.fs.Path(file.toUri());
    fuzz(
        "ParquetSampleReader",
        4,
        250,
        Duration.ofSeconds(60),
        (index, random) -> {
          Mutant m = Mutations.bytes(base, random, fields);
          return new Input(
              m.how(),
              () -> {
                Files.write(file, m.bytes());
                ParquetSampleReader.read(hadoopFile, conf);
              });
        });
  }

  /** One fuzz case: how its input was made, and the call that reads it. */
  record Input(String how, Read read) {}

  /** Makes case {@code index} of a reader's run from its seeded {@code random}. */
  @FunctionalInterface
  interface Maker {
    Input make(int index, Random random);
  }

  @FunctionalInterface
  interface Read {
    void run() throws Exception;
  }

  /**
   * Runs {@code cases} inputs, each made from a {@code Random} seeded with its own seed, under one
   * overall timeout; fails listing every case that threw something other than a clean refusal or
   * took longer than {@link #PER_INPUT}.
   */
  private static void fuzz(String reader, int readerIndex, int cases, Duration budget, Maker make) {
    String only = System.getProperty("fuzz.seed");
    AtomicReference<String> current = new AtomicReference<>("none yet");
    List<String> failures = new ArrayList<>();
    int[] outcomes = new int[2];
    assertTimeoutPreemptively(
        budget,
        () -> {
          for (int i = 0; i < cases && failures.size() < 10; i++) {
            long seed = SEED + ((long) readerIndex << 32) + i;
            if (only != null && Long.parseLong(only) != seed) {
              continue;
            }
            Input input = make.make(i, new Random(seed));
            String name = reader + " seed " + seed + " (" + input.how() + ")";
            current.set(name);
            long start = System.nanoTime();
            Throwable thrown = null;
            try {
              input.read().run();
            } catch (Throwable t) {
              thrown = t;
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            if (thrown == null) {
              outcomes[0]++;
            } else if (isCleanRefusal(thrown)) {
              outcomes[1]++;
            } else {
              failures.add(name + " threw\n" + trace(thrown));
            }
            if (took.compareTo(PER_INPUT) > 0) {
              failures.add(name + " took " + took.toMillis() + " ms");
            }
          }
        },
        () -> reader + " did not finish in " + budget + "; it was reading " + current.get());
    assertThat(failures)
        .as("%s: cases neither read nor cleanly refused (rerun one with -Dfuzz.seed=N)", reader)
        .isEmpty();
    if (only == null) {
      assertThat(outcomes[0]).as("%s: mutants that were still read", reader).isPositive();
      assertThat(outcomes[1]).as("%s: mutants that were refused", reader).isPositive();
    }
  }

  /**
   * Whether the job would show this failure as its "Cannot ..." message rather than "Unexpected
   * failure": the rule of the job's FailureMessages.describe, which lethe-common cannot see.
   */
  static boolean isCleanRefusal(Throwable failure) {
    if (failure instanceof VirtualMachineError) {
      return false;
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if ((t instanceof IllegalArgumentException
              || t instanceof UncheckedIOException
              || t instanceof IOException
              || t instanceof IllegalStateException)
          && t.getMessage() != null
          && t.getMessage().startsWith("Cannot ")) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  private static String trace(Throwable t) {
    StringWriter out = new StringWriter();
    t.printStackTrace(new PrintWriter(out));
    return out.toString().lines().limit(25).reduce((a, b) -> a + "\n" + b).orElse("");
  }

  private static byte[] idxImages(List<Sample> digits) {
    java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(16 + digits.size() * 64);
    out.putInt(0x0803).putInt(digits.size()).putInt(8).putInt(8);
    for (Sample s : digits) {
      for (float p : s.pixels()) {
        out.put((byte) Math.round(p * 255));
      }
    }
    return out.array();
  }

  private static byte[] idxLabels(List<Sample> digits) {
    java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(8 + digits.size());
    out.putInt(0x0801).putInt(digits.size());
    digits.forEach(s -> out.put((byte) s.label()));
    return out.array();
  }

  /** Three gray digits as the red, green and blue channels of one image. */
  private static Sample rgbOf(List<Sample> three) {
    float[] pixels = new float[3 * 64];
    for (int c = 0; c < 3; c++) {
      System.arraycopy(three.get(c).pixels(), 0, pixels, c * 64, 64);
    }
    return new Sample("rgb", 0, new ImageShape(3, 8, 8), pixels);
  }

  private static boolean isPng(byte[] bytes) {
    return (bytes[0] & 0xff) == 0x89 && bytes[1] == 'P';
  }

  /** IHDR, the first chunk after the 8-byte signature, and the length of the chunk after it. */
  private static List<Field> pngFields() {
    return List.of(
        new Field("IHDR length", 8, 4),
        new Field("width", 16, 4),
        new Field("height", 20, 4),
        new Field("bit depth", 24, 1),
        new Field("colour type", 25, 1),
        new Field("compression", 26, 1),
        new Field("filter", 27, 1),
        new Field("interlace", 28, 1),
        new Field("second chunk length", 33, 4));
  }

  /** The frame header (SOF0): its length, precision, height, width and component count. */
  private static List<Field> jpegFields(byte[] jpeg) {
    List<Field> fields = new ArrayList<>();
    for (int i = 2; i + 9 < jpeg.length; i++) {
      if ((jpeg[i] & 0xff) == 0xff && (jpeg[i + 1] & 0xff) == 0xc0) {
        fields.add(new Field("SOF0 length", i + 2, 2));
        fields.add(new Field("precision", i + 4, 1));
        fields.add(new Field("height", i + 5, 2));
        fields.add(new Field("width", i + 7, 2));
        fields.add(new Field("components", i + 9, 1));
        break;
      }
    }
    assertThat(fields).as("a JPEG frame header in the encoded base image").isNotEmpty();
    fields.add(new Field("first segment length", 4, 2));
    return fields;
  }

  @Test
  void theRefusalRuleIsTheJobs() {
    assertThat(isCleanRefusal(new IllegalArgumentException("Cannot read x: y; give z")))
        .as("a Cannot message")
        .isTrue();
    assertThat(
            isCleanRefusal(
                new RuntimeException(
                    "wrapped", new UncheckedIOException("Cannot x", new IOException("y")))))
        .as("a Cannot message under a wrapper")
        .isTrue();
    assertThat(isCleanRefusal(new ArrayIndexOutOfBoundsException("Cannot 1")))
        .as("another kind of exception")
        .isFalse();
    assertThat(isCleanRefusal(new IllegalArgumentException("bad value"))).as("no Cannot").isFalse();
    assertThat(isCleanRefusal(new OutOfMemoryError("Java heap space"))).as("an error").isFalse();
    assertThat(Mutations.gzip(new byte[] {1, 2})).as("gzip").startsWith((byte) 0x1f, (byte) 0x8b);
  }
}
