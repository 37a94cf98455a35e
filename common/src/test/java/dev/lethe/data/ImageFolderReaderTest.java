package dev.lethe.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lethe.failure.SettingException;
import dev.lethe.testing.Fixtures;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderReaderTest {

  private static final List<String> NAMES =
      List.of("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine");

  @TempDir Path root;

  @Test
  void folderWithOnlySomeIntegerClassesKeepsTheTrueLabels() throws IOException {
    List<Sample> digits = Fixtures.test();
    Sample three = first(digits, 3);
    Sample seven = first(digits, 7);
    write(root.resolve("3/img_0007.png"), ImageEncoder.png(three));
    write(root.resolve("7/img_0001.PNG"), ImageEncoder.png(seven));
    write(root.resolve("7/img_0002.jpeg"), ImageEncoder.jpeg(seven, 0.9f));
    write(root.resolve("7/notes.txt"), new byte[] {1, 2, 3});
    write(root.resolve("stray.png"), ImageEncoder.png(three));

    List<Sample> samples = ImageFolderReader.read(root, List.of());

    assertThat(samples)
        .as("ids are sorted relative paths; other files and files at the root are ignored")
        .extracting(Sample::id)
        .containsExactly("3/img_0007.png", "7/img_0001.PNG", "7/img_0002.jpeg");
    assertThat(samples)
        .as("labels are the folder integers, not positions 0 and 1")
        .extracting(Sample::label)
        .containsExactly(3, 7, 7);
    assertThat(samples.get(0).pixels()).as("pixels of 3").containsExactly(three.pixels());
  }

  @Test
  void namedFoldersMapThroughClassNamesWhenOnlyTwoArePresent() throws IOException {
    List<Sample> digits = Fixtures.test();
    write(root.resolve("eight/a.png"), ImageEncoder.png(first(digits, 8)));
    write(root.resolve("two/b.jpg"), ImageEncoder.jpeg(first(digits, 2), 0.9f));
    write(root.resolve("two/nested/c.png"), ImageEncoder.png(first(digits, 2)));

    List<Sample> samples = ImageFolderReader.read(root, NAMES);

    assertThat(samples)
        .as("ids include nested folders with '/'")
        .extracting(Sample::id)
        .containsExactly("eight/a.png", "two/b.jpg", "two/nested/c.png");
    assertThat(samples).as("labels by name").extracting(Sample::label).containsExactly(8, 2, 2);
  }

  @Test
  void namedFoldersWithoutClassNamesAreRefused() throws IOException {
    write(root.resolve("cat/a.png"), ImageEncoder.png(Fixtures.test().get(0)));

    assertThatThrownBy(() -> ImageFolderReader.read(root, List.of()))
        .as("names unknown")
        .isInstanceOf(SettingException.class)
        .hasMessageContaining(root.toString())
        .hasMessageContaining("(setting: class-names)")
        .extracting(e -> ((SettingException) e).setting())
        .isEqualTo(ClassIndex.CLASS_NAMES);
  }

  @Test
  void emptyFolderIsRefusedNamingTheRoot() throws IOException {
    Files.createDirectories(root.resolve("3"));
    write(root.resolve("3/readme.txt"), new byte[] {1});

    assertThatThrownBy(() -> ImageFolderReader.list(root))
        .as("no images")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(root.toString());
    assertThatThrownBy(() -> ImageFolderReader.list(root.resolve("absent")))
        .as("missing root")
        .hasMessageContaining("absent");
  }

  @Test
  void garbageImageIsRefusedNamingTheFile() throws IOException {
    write(root.resolve("3/good.png"), ImageEncoder.png(Fixtures.test().get(0)));
    write(root.resolve("3/bad.png"), "not a png".getBytes(java.nio.charset.StandardCharsets.UTF_8));

    assertThatThrownBy(() -> ImageFolderReader.read(root, List.of()))
        .as("corrupt PNG in the folder")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("3/bad.png");
  }

  @Test
  void samplesConformToTheModelShapeAsTorchvisionConvertsThem() throws IOException {
    write(root.resolve("1/x.png"), ImageEncoder.png(Fixtures.test().get(0)));
    Sample gray = ImageFolderReader.read(root, List.of()).get(0);

    assertThat(gray.conformTo(new ImageShape(1, 8, 8))).as("matching shape").isSameAs(gray);
    Sample rgb = gray.conformTo(new ImageShape(3, 8, 8));
    assertThat(rgb.id()).isEqualTo("1/x.png");
    assertThat(rgb.label()).isEqualTo(gray.label());
    for (int c = 0; c < 3; c++) {
      assertThat(Arrays.copyOfRange(rgb.pixels(), c * 64, (c + 1) * 64))
          .as("channel %d of a gray image read as RGB (PIL's convert(\"RGB\"))", c)
          .containsExactly(gray.pixels());
    }
    assertThat(rgb.conformTo(new ImageShape(1, 8, 8)).pixels())
        .as("gray pixels come back exactly from RGB")
        .containsExactly(gray.pixels());

    float[] tinted = new float[3 * 64];
    Arrays.fill(tinted, 0, 64, 1f);
    Arrays.fill(tinted, 64, 128, 0.5f);
    Sample red = new Sample("red", 0, new ImageShape(3, 8, 8), tinted);
    assertThat(red.conformTo(new ImageShape(1, 8, 8)).pixels())
        .as("luma 0.299 R + 0.587 G + 0.114 B (PIL's convert(\"L\"))")
        .containsOnly(0.299f + 0.587f * 0.5f);

    assertThatThrownBy(() -> gray.conformTo(new ImageShape(1, 28, 28)))
        .as("another size")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1/x.png")
        .hasMessageContaining("1x8x8")
        .hasMessageContaining("1x28x28");
    assertThatThrownBy(() -> gray.conformTo(new ImageShape(4, 8, 8)))
        .as("four channels")
        .hasMessageContaining("4x8x8");
  }

  @Test
  void bmpAndTiffImagesAreReadWithThePixelsOfAPng() throws IOException {
    Sample digit = first(Fixtures.test(), 5);
    write(root.resolve("5/a.png"), ImageEncoder.png(digit));
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(ImageEncoder.png(digit)));
    for (String format : List.of("bmp", "tiff")) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      assertThat(ImageIO.write(image, format, out)).as("javax.imageio writes %s", format).isTrue();
      write(root.resolve("5/b." + format.toUpperCase(java.util.Locale.ROOT)), out.toByteArray());
    }
    write(root.resolve("5/c.tif"), Files.readAllBytes(root.resolve("5/b.TIFF")));

    List<Sample> samples = ImageFolderReader.read(root, List.of());

    assertThat(samples)
        .extracting(Sample::id)
        .containsExactly("5/a.png", "5/b.BMP", "5/b.TIFF", "5/c.tif");
    for (Sample s : samples) {
      assertThat(s.conformTo(digit.shape()).pixels())
          .as("pixels of %s", s.id())
          .containsExactly(digit.pixels());
    }
  }

  @Test
  void imagesTorchvisionReadsButLetheCannotDecodeAreRefusedNotSkipped() throws IOException {
    write(root.resolve("3/a.png"), ImageEncoder.png(Fixtures.test().get(0)));
    write(root.resolve("3/b.webp"), new byte[] {'R', 'I', 'F', 'F'});
    write(root.resolve("4/c.PGM"), new byte[] {'P', '5'});
    write(root.resolve("4/.hidden.webp"), new byte[] {1});
    write(root.resolve("top.webp"), new byte[] {1});

    assertThatThrownBy(() -> ImageFolderReader.list(root))
        .as("a forget folder's .webp image would otherwise stay unforgotten")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(root.toString())
        .hasMessageContaining("2 images are in a format Lethe cannot decode")
        .hasMessageContaining("e.g. 3/b.webp")
        .hasMessageContaining("convert them to PNG");

    Files.delete(root.resolve("3/b.webp"));
    Files.delete(root.resolve("4/c.PGM"));
    assertThat(ImageFolderReader.list(root))
        .as("hidden files and files at the root are ignored")
        .extracting(ImageFolderReader.Entry::id)
        .containsExactly("3/a.png");
  }

  private static Sample first(List<Sample> samples, int label) {
    return samples.stream().filter(s -> s.label() == label).findFirst().orElseThrow();
  }

  private static void write(Path file, byte[] bytes) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, bytes);
  }
}
