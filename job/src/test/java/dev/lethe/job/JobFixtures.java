package dev.lethe.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lethe.data.IdxReader;
import dev.lethe.data.ImageEncoder;
import dev.lethe.data.Sample;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The digits fixtures of lethe-common (8x8 sklearn digits, a small CNN with a sidecar, an MLP
 * without one), read from the file system relative to the job module, and helpers to run the CLI.
 */
public final class JobFixtures {

  /** lethe-common's fixture folder; Surefire runs in the job module's folder. */
  public static final Path DIR =
      Path.of("../common/src/test/resources/fixtures").toAbsolutePath().normalize();

  private JobFixtures() {}

  /** The CNN with BatchNorm and a sidecar (classes "0".."9", input 1x8x8, mean/std). */
  public static Path cnn() {
    return existing("digits-cnn-bn.pt");
  }

  /** The MLP without a sidecar. */
  public static Path mlp() {
    return existing("digits-mlp.pt");
  }

  public static Path testImages() {
    return existing("digits-test-images-idx3-ubyte.gz");
  }

  public static Path testLabels() {
    return existing("digits-test-labels-idx1-ubyte.gz");
  }

  /** The 500 test digits as the single-JVM reader reads them. */
  public static List<Sample> testSamples() {
    return IdxReader.read(testImages(), testLabels());
  }

  /** Writes samples as {@code root/<label>/<id with '/' as '-'>.png}. */
  public static Path writeImageFolder(List<Sample> samples, Path root) {
    try {
      for (Sample sample : samples) {
        Path file =
            root.resolve(Integer.toString(sample.label()))
                .resolve(sample.id().replace('/', '-') + ".png");
        Files.createDirectories(file.getParent());
        Files.write(file, ImageEncoder.png(sample));
      }
      return root;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path existing(String name) {
    Path file = DIR.resolve(name);
    assertThat(file).as("fixture %s (run the tests from the job module)", file).isRegularFile();
    return file;
  }

  /** What one CLI run printed and returned. */
  public record CliRun(int exitCode, String stdout, String stderr) {

    /** The last line of standard output, parsed as JSON. */
    public JsonNode summary() {
      String[] lines = stdout.strip().split("\n");
      try {
        return new ObjectMapper().readTree(lines[lines.length - 1]);
      } catch (IOException e) {
        throw new AssertionError("last stdout line is not JSON: " + stdout, e);
      }
    }
  }

  /** Runs {@link LetheMain#run(String[], PrintStream, PrintStream)} and captures its output. */
  public static CliRun cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = LetheMain.run(args, o, e);
    }
    return new CliRun(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
