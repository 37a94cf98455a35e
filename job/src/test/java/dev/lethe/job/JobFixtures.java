package dev.lethe.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lethe.data.IdxReader;
import dev.lethe.data.ImageEncoder;
import dev.lethe.data.ImageShape;
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

  /** The 1,297 training digits (IDX), with their labels beside them. */
  public static Path trainImages() {
    return existing("digits-train-images-idx3-ubyte.gz");
  }

  public static Path trainLabels() {
    return existing("digits-train-labels-idx1-ubyte.gz");
  }

  public static Path testImages() {
    return existing("digits-test-images-idx3-ubyte.gz");
  }

  public static Path testLabels() {
    return existing("digits-test-labels-idx1-ubyte.gz");
  }

  /** The 1,297 training digits as the single-JVM reader reads them. */
  public static List<Sample> trainSamples() {
    return IdxReader.read(trainImages(), trainLabels());
  }

  /** The 500 test digits as the single-JVM reader reads them. */
  public static List<Sample> testSamples() {
    return IdxReader.read(testImages(), testLabels());
  }

  /** A sample at {@code factor} times its height and width, each pixel repeated factor x factor. */
  public static Sample enlarged(Sample s, int factor) {
    return stretched(s, factor, factor);
  }

  /** {@code s} with each pixel repeated {@code down} times down and {@code across} times across. */
  public static Sample stretched(Sample s, int down, int across) {
    int c = s.shape().channels();
    int h = s.shape().height();
    int w = s.shape().width();
    float[] pixels = new float[c * down * h * across * w];
    int at = 0;
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < down * h; y++) {
        for (int x = 0; x < across * w; x++) {
          pixels[at++] = s.pixels()[ch * h * w + (y / down) * w + x / across];
        }
      }
    }
    return new Sample(s.id(), s.label(), new ImageShape(c, down * h, across * w), pixels);
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

  /**
   * Writes the digits training images whose ids are not in {@code forgetIds} as an image folder
   * ({@link #writeImageFolder}): a retain sample for {@code --retain}.
   */
  public static Path writeRetainFolder(java.util.Collection<String> forgetIds, Path root) {
    List<Sample> train = trainSamples();
    return writeImageFolder(train.stream().filter(s -> !forgetIds.contains(s.id())).toList(), root);
  }

  /** A model of deploy/python/make_misshapen_models.py (e.g. "frozen"). */
  public static Path misshapen(String name) {
    return existing("misshapen/" + name + ".pt");
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

  /**
   * {@code lethe unlearn} options that keep fixture runs quick: 2 partitions, 20 PGD steps, 8
   * examples per instance.
   */
  public static final List<String> QUICK_UNLEARN =
      List.of("--partitions", "2", "--set", "pgd.steps=20", "--set", "pgd.per-instance=8");

  /** The repository root: {@code -Dlethe.repo} (set by Failsafe), else the parent folder. */
  public static Path repo() {
    String given = System.getProperty("lethe.repo");
    return (given == null || given.isBlank() ? Path.of("..") : Path.of(given))
        .toAbsolutePath()
        .normalize();
  }

  /**
   * Runs a command in its own process with extra environment variables, waits up to {@code
   * timeout}, and captures its output (stderr in a file, so neither stream blocks).
   */
  public static CliRun process(
      List<String> command, java.util.Map<String, String> env, java.time.Duration timeout)
      throws java.io.IOException, InterruptedException {
    Path err = java.nio.file.Files.createTempFile("lethe-process-", ".err");
    Path out = java.nio.file.Files.createTempFile("lethe-process-", ".out");
    try {
      ProcessBuilder pb = new ProcessBuilder(command);
      pb.environment().putAll(env);
      pb.redirectOutput(out.toFile());
      pb.redirectError(err.toFile());
      Process p = pb.start();
      if (!p.waitFor(timeout.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new AssertionError(
            "command did not finish in "
                + timeout
                + ": "
                + command
                + "\nstderr:\n"
                + java.nio.file.Files.readString(err));
      }
      return new CliRun(
          p.exitValue(), java.nio.file.Files.readString(out), java.nio.file.Files.readString(err));
    } finally {
      java.nio.file.Files.deleteIfExists(out);
      java.nio.file.Files.deleteIfExists(err);
    }
  }
}
