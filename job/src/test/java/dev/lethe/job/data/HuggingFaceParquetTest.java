package dev.lethe.job.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lethe.data.ImageEncoder;
import dev.lethe.data.Sample;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import dev.lethe.job.SparkTestBase;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parquet tables as Hugging Face {@code datasets} writes image data sets: {@code image} a struct of
 * {@code bytes} and {@code path}, {@code label} int64, no id column, in shards. Each row's id is
 * its position in the data set, so {@code --forget-ids 57} means {@code dataset[57]}.
 */
class HuggingFaceParquetTest extends SparkTestBase {

  @TempDir static Path tmp;

  private static final StructType IMAGE =
      new StructType().add("bytes", DataTypes.BinaryType).add("path", DataTypes.StringType);

  /** The first {@code n} test digits written as {@code shards} part files, in order. */
  private static Path write(
      String name, int n, int shards, String imageColumn, DataType labelType, boolean struct) {
    List<Sample> digits = JobFixtures.testSamples().subList(0, n);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] png = ImageEncoder.png(digits.get(i));
      Object image = struct ? RowFactory.create(png, i + ".png") : png;
      Object label =
          labelType.equals(DataTypes.LongType)
              ? (Object) (long) digits.get(i).label()
              : (Object) (short) digits.get(i).label();
      rows.add(RowFactory.create(image, label));
    }
    StructType schema =
        new StructType()
            .add(imageColumn, struct ? IMAGE : DataTypes.BinaryType)
            .add("label", labelType);
    Path dir = tmp.resolve(name);
    // parallelize keeps each slice's rows together and in order: part-00000 holds the first
    spark
        .createDataFrame(
            JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, shards),
            schema)
        .write()
        .parquet(dir.toString());
    return dir;
  }

  @Test
  void eachRowsIdIsItsPositionInTheDataSetAcrossShards() {
    Path dir = write("hf-digits", 100, 3, "image", DataTypes.LongType, true);
    List<Sample> digits = JobFixtures.testSamples().subList(0, 100);

    SampleReader.Result result = new SampleReader(spark).partitions(4).read(dir.toString());
    List<Sample> read = new ArrayList<>(result.samples().collect());
    read.sort(Comparator.comparingInt(s -> Integer.parseInt(s.id())));

    assertThat(result.description()).contains("no id column: each row's position is its id");
    assertThat(read).extracting(Sample::id).hasSize(100).first().isEqualTo("0");
    for (int i = 0; i < 100; i++) {
      Sample s = read.get(i);
      assertThat(s.id()).isEqualTo(Integer.toString(i));
      assertThat(s.label()).as("label of row %d", i).isEqualTo(digits.get(i).label());
      assertThat(s.pixels()).as("pixels of row %d", i).containsExactly(digits.get(i).pixels());
    }
  }

  @Test
  void anImgColumnOfBytesAndSmallIntLabelsReadToo() {
    Path dir = write("cifar-style", 20, 1, "img", DataTypes.ShortType, false);

    List<Sample> read =
        new ArrayList<>(new SampleReader(spark).read(dir.toString()).samples().collect());
    read.sort(Comparator.comparingInt(s -> Integer.parseInt(s.id())));

    assertThat(read).extracting(Sample::id).contains("0", "19").hasSize(20);
    assertThat(read)
        .extracting(Sample::label)
        .containsExactlyElementsOf(
            JobFixtures.testSamples().subList(0, 20).stream().map(Sample::label).toList());
  }

  @Test
  void integerIdsAreReadAsTheirDigits() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add("label", DataTypes.IntegerType)
            .add("image", DataTypes.BinaryType);
    Sample digit = JobFixtures.testSamples().get(0);
    Path dir = tmp.resolve("long-ids");
    spark
        .createDataFrame(
            List.of(RowFactory.create(9_000_000_001L, digit.label(), ImageEncoder.png(digit))),
            schema)
        .write()
        .parquet(dir.toString());

    List<Sample> read = new SampleReader(spark).read(dir.toString()).samples().collect();

    assertThat(read).extracting(Sample::id).containsExactly("9000000001");
  }

  @Test
  void aStructWithoutBytesIsRefusedNamingTheColumnAndWhatWouldDo() {
    StructType schema =
        new StructType()
            .add("image", new StructType().add("path", DataTypes.StringType))
            .add("label", DataTypes.LongType);
    Path dir = tmp.resolve("paths-only");
    spark
        .createDataFrame(List.of(RowFactory.create(RowFactory.create("a.png"), 1L)), schema)
        .write()
        .parquet(dir.toString());

    assertThatThrownBy(() -> new SampleReader(spark).read(dir.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(dir.toString())
        .hasMessageContaining("column 'image' is struct<path:string>")
        .hasMessageContaining("a struct with binary 'bytes'");
  }

  @Test
  void evaluateAndForgetIdsWorkOnAHuggingFaceTable() throws Exception {
    Path dir = write("hf-cli", 60, 2, "image", DataTypes.LongType, true);
    double expected;
    try (Classifier cnn = Classifier.load(JobFixtures.cnn(), SpecResolver.Partial.empty("test"))) {
      expected = cnn.accuracy(JobFixtures.testSamples().subList(0, 60), 64);
    }

    CliRun evaluate =
        JobFixtures.cli(
            "evaluate", "--model", JobFixtures.cnn().toString(), "--data", dir.toString());
    CliRun plan =
        JobFixtures.cli(
            "unlearn",
            "--model",
            JobFixtures.cnn().toString(),
            "--forget",
            dir.toString(),
            "--forget-ids",
            "3,57",
            "--out",
            tmp.resolve("hf-out").toString(),
            "--dry-run");

    assertThat(evaluate.exitCode()).as("stderr: %s", evaluate.stderr()).isZero();
    assertThat(evaluate.summary().get("accuracy").asDouble()).isEqualTo(expected);
    assertThat(plan.exitCode()).as("stderr: %s", plan.stderr()).isZero();
    assertThat(plan.summary().get("forget").get("size").asInt())
        .as("rows 3 and 57 of the data set")
        .isEqualTo(2);
  }
}
