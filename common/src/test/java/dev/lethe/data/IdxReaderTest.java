package dev.lethe.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lethe.testing.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

  private static final Path TRAIN_IMAGES = Fixtures.path("digits-train-images-idx3-ubyte.gz");
  private static final Path TRAIN_LABELS = Fixtures.path("digits-train-labels-idx1-ubyte.gz");
  private static final Path TEST_IMAGES = Fixtures.path("digits-test-images-idx3-ubyte.gz");
  private static final Path TEST_LABELS = Fixtures.path("digits-test-labels-idx1-ubyte.gz");

  @TempDir Path tmp;

  @Test
  void readsGzippedDigitsWithCountShapeAndLabels() {
    List<Sample> train = IdxReader.read(TRAIN_IMAGES, TRAIN_LABELS);
    List<Sample> test = IdxReader.read(TEST_IMAGES, TEST_LABELS);

    assertThat(train).as("train count").hasSize(1297);
    assertThat(test).as("test count").hasSize(500);
    assertThat(train)
        .as("every train image is 1x8x8")
        .allSatisfy(s -> assertThat(s.shape()).isEqualTo(new ImageShape(1, 8, 8)));
    assertThat(train.stream().mapToInt(Sample::label).distinct().sorted().toArray())
        .as("train labels cover exactly 0..9")
        .containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    assertThat(train)
        .as("pixels lie in [0,1]")
        .allSatisfy(
            s -> {
              for (float p : s.pixels()) {
                assertThat(p).isBetween(0f, 1f);
              }
            });
    assertThat(train.get(5).id()).as("id is <prefix>/<index>").isEqualTo("digits/5");
  }

  @Test
  void matchesAnIndependentReaderOfTheSameFile() {
    List<Sample> ours = IdxReader.read(TRAIN_IMAGES, TRAIN_LABELS);
    List<Sample> theirs = Fixtures.train();
    for (int i = 0; i < theirs.size(); i++) {
      assertThat(ours.get(i).label()).as("label of image %d", i).isEqualTo(theirs.get(i).label());
      assertThat(ours.get(i).pixels())
          .as("pixels of image %d", i)
          .containsExactly(theirs.get(i).pixels());
    }
    assertThat(ours.stream().mapToDouble(s -> s.pixels()[20]).max().orElse(0))
        .as("some pixels are bright, so the scaling /255 is visible")
        .isGreaterThan(0.9);
  }

  @Test
  void rawAndGzippedCopiesGiveIdenticalSamples() throws IOException {
    Path rawImages = gunzip(TRAIN_IMAGES, tmp.resolve("train-images-idx3-ubyte"));
    Path rawLabels = gunzip(TRAIN_LABELS, tmp.resolve("train-labels-idx1-ubyte"));
    assertThat(Files.size(rawImages))
        .as("the raw copy really is uncompressed")
        .isEqualTo(16 + 1297L * 64);

    List<Sample> raw = IdxReader.read(rawImages, rawLabels, "digits", 0, IdxReader.NO_LIMIT);
    List<Sample> gz = IdxReader.read(TRAIN_IMAGES, TRAIN_LABELS);

    assertThat(raw).as("raw and gzipped samples").isEqualTo(gz);
  }

  @Test
  void detectsGzipByContentNotByExtension() throws IOException {
    Path rawNamedGz = gunzip(TEST_IMAGES, tmp.resolve("raw-images.gz"));
    Path gzNamedRaw = tmp.resolve("gz-labels-idx1-ubyte");
    Files.copy(TEST_LABELS, gzNamedRaw);

    List<Sample> samples = IdxReader.read(rawNamedGz, gzNamedRaw, "t", 0, IdxReader.NO_LIMIT);

    assertThat(samples)
        .as("misleading extensions do not matter")
        .isEqualTo(IdxReader.read(TEST_IMAGES, TEST_LABELS, "t", 0, IdxReader.NO_LIMIT));
  }

  @Test
  void derivesThePrefixFromTheImageFileName() throws IOException {
    Path images = tmp.resolve("t10k-images-idx3-ubyte.gz");
    Path labels = tmp.resolve("t10k-labels-idx1-ubyte.gz");
    Files.copy(TEST_IMAGES, images);
    Files.copy(TEST_LABELS, labels);

    assertThat(IdxReader.read(images, labels, 2))
        .as("ids with the derived prefix, limited to 2")
        .extracting(Sample::id)
        .containsExactly("t10k/0", "t10k/1");
    assertThat(IdxReader.prefixOf("train-images-idx3-ubyte.gz"))
        .as("train prefix")
        .isEqualTo("train");
    assertThat(IdxReader.prefixOf("images.idx")).as("no dash").isEqualTo("images.idx");
  }

  @Test
  void offsetAndLimitKeepFileIndicesInIds() {
    List<Sample> all = IdxReader.read(TEST_IMAGES, TEST_LABELS);
    List<Sample> slice = IdxReader.read(TEST_IMAGES, TEST_LABELS, "test", 495, 10);

    assertThat(slice).as("the slice stops at the end of the file").hasSize(5);
    assertThat(slice.get(0).id()).as("first id of the slice").isEqualTo("test/495");
    assertThat(slice.get(0).pixels()).as("pixels of image 495").isEqualTo(all.get(495).pixels());
    assertThat(slice.get(4).label()).as("label of image 499").isEqualTo(all.get(499).label());
  }

  @Test
  void streamVariantMatchesPathVariant() throws IOException {
    List<Sample> fromStreams;
    try (InputStream images = Files.newInputStream(TEST_IMAGES);
        InputStream labels = Files.newInputStream(TEST_LABELS)) {
      fromStreams =
          IdxReader.read(images, "s3a://b/images.gz", labels, "s3a://b/labels.gz", "digits", 0, 50);
    }
    assertThat(fromStreams)
        .as("stream and path readers agree")
        .isEqualTo(IdxReader.read(TEST_IMAGES, TEST_LABELS, 50));
  }

  @Test
  void rejectsTruncatedGzipNamingTheFile() throws IOException {
    byte[] whole = Files.readAllBytes(TRAIN_IMAGES);
    Path truncated = tmp.resolve("truncated-images.gz");
    Files.write(truncated, Arrays.copyOf(whole, whole.length / 2));

    assertThatThrownBy(() -> IdxReader.read(truncated, TRAIN_LABELS))
        .as("truncated gzip")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("truncated-images.gz");
  }

  @Test
  void rejectsTruncatedRawDataNamingTheFile() throws IOException {
    byte[] whole = gunzipBytes(TEST_IMAGES);
    Path truncated = tmp.resolve("short-images-idx3-ubyte");
    Files.write(truncated, Arrays.copyOf(whole, whole.length - 10));

    assertThatThrownBy(() -> IdxReader.read(truncated, TEST_LABELS))
        .as("raw file missing its last bytes")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("short-images-idx3-ubyte")
        .hasMessageContaining("truncated");
  }

  @Test
  void rejectsGarbageNamingTheFile() throws IOException {
    Path garbage = tmp.resolve("garbage-images.idx");
    Files.writeString(garbage, "this is not an IDX file at all");

    assertThatThrownBy(() -> IdxReader.read(garbage, TEST_LABELS))
        .as("garbage instead of IDX")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("garbage-images.idx")
        .hasMessageContaining("magic");
  }

  @Test
  void rejectsSwappedFilesAsWrongDimensions() {
    assertThatThrownBy(() -> IdxReader.read(TEST_LABELS, TEST_IMAGES))
        .as("labels given as images")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("digits-test-labels-idx1-ubyte.gz")
        .hasMessageContaining("dimensions");
  }

  /** Found by InputReadersFuzzTest: height x width overflowed an int into a negative size. */
  @Test
  void rejectsAHeaderDeclaringHugeImagesBeforeAllocating() {
    byte[] images =
        java.nio.ByteBuffer.allocate(16 + 64)
            .putInt(0x0803)
            .putInt(1)
            .putInt(0x7fffffff)
            .putInt(0x7fffffff)
            .array();
    byte[] labels = java.nio.ByteBuffer.allocate(9).putInt(0x0801).putInt(1).array();

    assertThatThrownBy(
            () ->
                IdxReader.read(
                    new java.io.ByteArrayInputStream(images),
                    "huge-images.idx",
                    new java.io.ByteArrayInputStream(labels),
                    "labels.idx",
                    "huge",
                    0,
                    IdxReader.NO_LIMIT))
        .as("an IDX header declaring 2147483647x2147483647 images")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot read IDX file huge-images.idx: its header declares 2147483647x2147483647"
                + " pixels per image, more than the 16777216 (4096x4096) Lethe reads; fetch the"
                + " file again");
  }

  @Test
  void rejectsImageAndLabelCountsThatDiffer() {
    assertThatThrownBy(() -> IdxReader.read(TRAIN_IMAGES, TEST_LABELS))
        .as("1297 images with 500 labels")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("digits-train-images-idx3-ubyte.gz")
        .hasMessageContaining("digits-test-labels-idx1-ubyte.gz")
        .hasMessageContaining("1297")
        .hasMessageContaining("500");
  }

  @Test
  void missingFileIsNamed() {
    Path missing = tmp.resolve("nowhere-images.gz");
    assertThatThrownBy(() -> IdxReader.read(missing, TEST_LABELS))
        .as("missing file")
        .hasMessageContaining("nowhere-images.gz");
  }

  private static Path gunzip(Path from, Path to) throws IOException {
    Files.write(to, gunzipBytes(from));
    return to;
  }

  private static byte[] gunzipBytes(Path from) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(from))) {
      return in.readAllBytes();
    }
  }
}
