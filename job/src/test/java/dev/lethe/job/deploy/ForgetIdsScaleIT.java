package dev.lethe.job.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lethe.data.ImageShape;
import dev.lethe.data.ParquetSampleWriter;
import dev.lethe.data.Sample;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --forget-ids} at the size of a training set: 16 ids out of a 60,000-row Parquet table of
 * 28x28 images (the MNIST model's input), in a driver JVM of its own with {@code -Xmx1g}, as
 * deploy/bin/lethe runs it. Decoded, the table is 60,000 x 784 floats, about 190 MB, and as many
 * bytes again as serialized task results: what the driver used to collect to keep 16 rows. The ids
 * are selected on the executors now, so the driver's live heap (after each GC, from the JVM's GC
 * log) stays below the size of the decoded table.
 */
class ForgetIdsScaleIT {

  @TempDir static Path tmp;

  private static final int ROWS = 60_000;
  private static final int SIDE = 28;

  private static Path table;
  private static List<String> ids;

  /**
   * The 500 test digits, scaled from 8x8 to 28x28 (nearest pixel), 120 times under ids {@code
   * train/0 .. train/59999}.
   */
  @BeforeAll
  static void writeTable() {
    List<Sample> digits = JobFixtures.testSamples();
    table = tmp.resolve("train.parquet");
    try (ParquetSampleWriter writer =
        ParquetSampleWriter.create(
            new org.apache.hadoop.fs.Path(table.toUri()), new Configuration())) {
      for (int i = 0; i < ROWS; i++) {
        Sample d = digits.get(i % digits.size());
        float[] pixels = new float[SIDE * SIDE];
        for (int y = 0; y < SIDE; y++) {
          for (int x = 0; x < SIDE; x++) {
            pixels[y * SIDE + x] = d.pixels()[(y * 8 / SIDE) * 8 + x * 8 / SIDE];
          }
        }
        writer.write(new Sample("train/" + i, d.label(), new ImageShape(1, SIDE, SIDE), pixels));
      }
    }
    ids = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      ids.add("train/" + (59_999 - i * 3_737));
    }
  }

  /** The MNIST model of deploy/models, with its sidecar (1x28x28, classes 0..9). */
  private static Path model() {
    Path file = JobFixtures.repo().resolve("deploy/models/mnist-resnet18-w16.pt");
    assertThat(file).isRegularFile();
    return file;
  }

  /**
   * The heap after each GC, in MiB, from the GC log's "before->after(size)" lines: what was live
   * then.
   */
  private static List<Long> liveHeapMib(Path gcLog) throws Exception {
    Matcher m = Pattern.compile("(\\d+)M->(\\d+)M\\(\\d+M\\)").matcher(Files.readString(gcLog));
    List<Long> live = new ArrayList<>();
    while (m.find()) {
      live.add(Long.parseLong(m.group(2)));
    }
    return live;
  }

  @Test
  void aDryRunForgetting16Of60000RowsKeepsTheTableOffTheDriver() throws Exception {
    Path gcLog = tmp.resolve("gc.log");
    CliRun run =
        TaskFailureOutputIT.lethe(
            tmp.resolve("logs"),
            List.of("-Xlog:gc:file=" + gcLog),
            "unlearn",
            "--model",
            model().toString(),
            "--forget",
            table.toString(),
            "--forget-ids",
            String.join(",", ids),
            "--out",
            tmp.resolve("out").toString(),
            "--dry-run");

    assertThat(run.exitCode()).as("stderr:\n%s", run.stderr()).isZero();
    JsonNode plan = run.summary();
    assertThat(plan.get("forget").get("size").asInt()).as("forget rows").isEqualTo(16);
    assertThat(plan.get("model").get("input").asText()).isEqualTo("1x28x28");
    long tableMib = (long) ROWS * SIDE * SIDE * Float.BYTES / (1024 * 1024);
    List<Long> gcs = liveHeapMib(gcLog);
    assertThat(gcs).as("GCs in %s (decoding the table allocates on this heap)", gcLog).isNotEmpty();
    long live = gcs.stream().mapToLong(Long::longValue).max().orElseThrow();
    System.out.printf(
        "ForgetIdsScaleIT: driver live heap after GC at most %d MiB (decoded table %d MiB)%n",
        live, tableMib);
    assertThat(live).as("the driver's live heap in MiB (GC log %s)", gcLog).isLessThan(tableMib);
  }
}
