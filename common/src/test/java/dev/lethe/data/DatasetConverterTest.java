package dev.lethe.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.testing.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetConverterTest {

  private static final String IMAGES = Fixtures.path("digits-test-images-idx3-ubyte.gz").toString();
  private static final String LABELS = Fixtures.path("digits-test-labels-idx1-ubyte.gz").toString();

  @TempDir Path tmp;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @Test
  void convertsToAnImageFolderThatReadsBack() {
    Path root = tmp.resolve("folder");

    int code =
        run(
            "--images",
            IMAGES,
            "--labels",
            LABELS,
            "--to",
            "folder",
            "--out",
            root.toString(),
            "--offset",
            "10",
            "--limit",
            "25");

    assertThat(code).as("exit code; stderr: %s", err).isZero();
    List<Sample> expected = Fixtures.test().subList(10, 35);
    Sample first = expected.get(0);
    assertThat(root.resolve(first.label() + "/digits-10.png"))
        .as("file named <label>/<prefix>-<index>.png")
        .exists();
    List<Sample> back = ImageFolderReader.read(root, List.of());
    assertThat(back).as("every image written").hasSize(25);
    assertThat(back)
        .as("labels and pixels survive")
        .allSatisfy(
            s -> {
              int index = Integer.parseInt(s.id().replaceAll(".*-(\\d+)\\.png", "$1"));
              Sample original = Fixtures.test().get(index);
              assertThat(s.label()).isEqualTo(original.label());
              assertThat(s.pixels()).containsExactly(original.pixels());
            });
    assertThat(out.toString(StandardCharsets.UTF_8))
        .as("says what it wrote")
        .contains("25 images")
        .contains(root.toString());
  }

  @Test
  void convertsToParquet() {
    Path file = tmp.resolve("digits.parquet");

    int code =
        run(
            "--images",
            IMAGES,
            "--labels",
            LABELS,
            "--to",
            "parquet",
            "--out",
            file.toString(),
            "--limit",
            "12");

    assertThat(code).as("exit code; stderr: %s", err).isZero();
    List<Sample> back =
        ParquetSampleReader.read(new org.apache.hadoop.fs.Path(file.toUri()), new Configuration());
    assertThat(back)
        .as("rows read back")
        .extracting(Sample::label)
        .containsExactlyElementsOf(
            Fixtures.test().subList(0, 12).stream().map(Sample::label).toList());
    assertThat(back.get(11).id()).as("id of the last row").isEqualTo("digits/11");
  }

  @Test
  void badArgumentsExitWithTwo() {
    assertThat(run("--images", IMAGES)).as("missing options").isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .as("names the missing option")
        .contains("--labels");
    assertThat(run("--images", IMAGES, "--labels", LABELS, "--to", "csv", "--out", "x"))
        .as("unknown output")
        .isEqualTo(2);
    assertThat(
            run(
                "--images",
                IMAGES,
                "--labels",
                LABELS,
                "--to",
                "folder",
                "--out",
                "x",
                "--limit",
                "-3"))
        .as("negative limit")
        .isEqualTo(2);
    assertThat(run("--bogus")).as("unknown option").isEqualTo(2);
  }

  @Test
  void failedConversionExitsWithOneNamingTheFile() throws Exception {
    Path garbage = tmp.resolve("garbage-images");
    Files.writeString(garbage, "nope");
    Path root = tmp.resolve("o");

    int code =
        run(
            "--images",
            garbage.toString(),
            "--labels",
            LABELS,
            "--to",
            "folder",
            "--out",
            root.toString());

    assertThat(code).as("exit code").isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).as("stderr").contains("garbage-images");
  }

  private int run(String... args) {
    return DatasetConverter.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }
}
