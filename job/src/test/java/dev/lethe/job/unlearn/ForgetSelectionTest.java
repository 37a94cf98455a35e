package dev.lethe.job.unlearn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.lethe.data.ParquetSampleWriter;
import dev.lethe.data.Sample;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import dev.lethe.job.ResultBytes;
import dev.lethe.job.SparkTestBase;
import dev.lethe.job.data.SampleReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --forget-ids} on a Parquet table of 6,000 rows (the 500 test digits, 12 times under other
 * ids): the ids are selected on the executors, so the driver receives the forget rows and not the
 * table, in the request's order, with the messages a user saw when the driver read the table.
 */
class ForgetSelectionTest extends SparkTestBase {

  @TempDir static Path tmp;

  private static final int COPIES = 12;

  /** 16 ids out of order, across copies, one of them twice. */
  private static final List<String> IDS =
      List.of(
          "c11/digits/499",
          "c0/digits/3",
          "c7/digits/250",
          "c3/digits/17",
          "c0/digits/0",
          "c9/digits/101",
          "c2/digits/402",
          "c3/digits/17",
          "c5/digits/5",
          "c10/digits/333",
          "c1/digits/44",
          "c6/digits/200",
          "c4/digits/88",
          "c8/digits/123",
          "c11/digits/1",
          "c2/digits/64",
          "c6/digits/7");

  private static String table;
  private static List<Sample> rows;

  @BeforeAll
  static void writeTable() {
    rows = new ArrayList<>();
    for (int c = 0; c < COPIES; c++) {
      for (Sample s : JobFixtures.testSamples()) {
        rows.add(new Sample("c" + c + "/" + s.id(), s.label(), s.shape(), s.pixels()));
      }
    }
    Path file = tmp.resolve("train.parquet");
    ParquetSampleWriter.write(
        new org.apache.hadoop.fs.Path(file.toUri()), new Configuration(), rows);
    table = file.toString();
  }

  private static List<String> distinctIds() {
    return List.copyOf(new LinkedHashSet<>(IDS));
  }

  private static Sample row(String id) {
    return rows.stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
  }

  /** What the driver may receive for k forget rows: 4 times their bytes and 64 KiB of overhead. */
  private static long bound(int k) {
    return k * ResultBytes.serializedSize(rows.get(0)) * 4L + 64 * 1024;
  }

  private static JavaRDD<Sample> read(int limit) {
    SampleReader reader = new SampleReader(spark);
    if (limit > 0) {
      reader.limit(limit);
    }
    return reader.read(table).samples();
  }

  @Test
  void anUnlearnDryRunReceivesTheForgetRowsNotTheTable() {
    long tableBytes = ResultBytes.serializedSize(new ArrayList<>(rows));
    long bound = bound(distinctIds().size());
    assertThat(tableBytes).as("the table is far larger than the bound").isGreaterThan(10 * bound);

    DryRun plain = dryRun("--retain-from-forget", "0");
    assertThat(plain.run().summary().get("forget").get("size").asInt())
        .as("forget rows")
        .isEqualTo(distinctIds().size());
    assertThat(plain.received())
        .as("bytes the driver received (the table is %d)", tableBytes)
        .isLessThan(bound);

    // Without a held-out sample the run draws 1,000 other rows as its retain sample: those rows
    // come to the driver, and only their keys besides.
    long retainBytes =
        ResultBytes.serializedSize(new ArrayList<>(rows.subList(0, InputReader.AUTO_RETAIN)));
    DryRun drawn = dryRun();
    assertThat(drawn.run().summary().get("retain").get("size").asInt())
        .isEqualTo(InputReader.AUTO_RETAIN);
    assertThat(drawn.received())
        .as("bytes the driver received with the retain draw (1,000 rows are %d)", retainBytes)
        .isLessThan(bound + retainBytes * 3 / 2);
  }

  /** A dry run and the bytes its Spark jobs sent the driver. */
  private record DryRun(CliRun run, long received) {}

  /** {@code lethe unlearn --dry-run} of {@link #IDS} from the table, with {@code extra}. */
  private static DryRun dryRun(String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "unlearn",
                "--model",
                JobFixtures.cnn().toString(),
                "--forget",
                table,
                "--forget-ids",
                String.join(",", IDS),
                "--out",
                tmp.resolve("out").toString(),
                "--dry-run"));
    args.addAll(List.of(extra));
    CliRun[] run = new CliRun[1];
    long received =
        ResultBytes.of(spark, () -> run[0] = JobFixtures.cli(args.toArray(String[]::new)));
    assertThat(run[0].exitCode()).as("stderr:\n%s", run[0].stderr()).isZero();
    return new DryRun(run[0], received);
  }

  @Test
  void selectsTheRowsInTheRequestsOrderEachOnce() {
    List<Sample> forget = ForgetSelection.select(read(0), IDS, table, 0);

    assertThat(forget).extracting(Sample::id).containsExactlyElementsOf(distinctIds());
    assertThat(forget).containsExactlyElementsOf(distinctIds().stream().map(s -> row(s)).toList());
  }

  /** The id a message gives as an example, after {@code prefix}. */
  private static String example(Throwable e, String prefix) {
    assertThat(e).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(prefix);
    return e.getMessage().substring(prefix.length());
  }

  @Test
  void anIdNotInTheDataIsNamedWithAnIdThatIsWithoutReadingTheTable() {
    List<String> ids = List.of("c0/digits/1", "nowhere/1", "nowhere/2");
    Throwable[] thrown = new Throwable[1];
    long received =
        ResultBytes.of(
            spark,
            () -> thrown[0] = catchThrowable(() -> ForgetSelection.select(read(0), ids, table, 0)));
    String prefix =
        "Cannot unlearn: forget id nowhere/1 is not in forget data "
            + table
            + "; ids there look like ";
    assertThat(rows)
        .extracting(Sample::id)
        .as("the example is an id of the table")
        .contains(example(thrown[0], prefix));
    assertThat(received).as("bytes the driver received").isLessThan(bound(ids.size()));

    String past =
        example(
            catchThrowable(
                () -> ForgetSelection.select(read(600), List.of("c1/digits/100"), table, 600)),
            "Cannot unlearn: forget id c1/digits/100 is not in forget data "
                + table
                + " (within --limit 600); ids there look like ");
    assertThat(rows.subList(0, 600))
        .extracting(Sample::id)
        .as("the example is an id within --limit")
        .contains(past);
    assertThat(ForgetSelection.select(read(600), List.of("c1/digits/99"), table, 600))
        .as("the last row within --limit")
        .extracting(Sample::id)
        .containsExactly("c1/digits/99");
  }
}
