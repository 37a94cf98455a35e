package dev.lethe.job.requests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.lethe.job.ResultBytes;
import dev.lethe.job.SparkTestBase;
import dev.lethe.job.ledger.Outcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resolution against a subjects table (CSV and Parquet) and a 400,000-id dataset generated on the
 * executors, under local[2].
 */
class SubjectResolverTest extends SparkTestBase {

  private static final int DATASET_SIZE = 400_000;
  private static final int PARTITIONS = 8;

  @TempDir static Path tmp;

  private static String csv;
  private static String parquet;

  @BeforeAll
  static void writeSubjects() throws IOException {
    Path file = tmp.resolve("subjects.csv");
    Files.writeString(
        file,
        String.join(
            "\n",
            "subject,id",
            "u1,train/1",
            "u1,train/2",
            "u1,train/2",
            "u2,train/3",
            "u3,train/999999999",
            "u3,train/11",
            ""));
    csv = file.toString();
    parquet = tmp.resolve("subjects-parquet").toString();
    spark.read().option("header", "true").csv(csv).coalesce(1).write().parquet(parquet);
  }

  /** The ids {@code train/0 .. train/399999}, made inside the tasks: they exist only there. */
  private static JavaRDD<String> datasetIds(LongAccumulator made) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<Integer> starts = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      starts.add(p * (DATASET_SIZE / PARTITIONS));
    }
    int per = DATASET_SIZE / PARTITIONS;
    return jsc.parallelize(starts, PARTITIONS)
        .flatMap(
            start -> {
              made.add(per);
              return IntStream.range(start, start + per).mapToObj(i -> "train/" + i).iterator();
            });
  }

  private static final List<ErasureRequest> REQUESTS =
      List.of(
          ErasureRequest.ofSubject("r-1", "u1"),
          ErasureRequest.ofSamples("r-2", List.of("train/399999", "train/5")),
          ErasureRequest.ofSubject("r-3", "u999"),
          ErasureRequest.ofSamples("r-4", List.of("train/7", "train/400000", "x/1")),
          ErasureRequest.ofSubject("r-5", "u3"));

  private static long resultBytes(Runnable action) {
    return ResultBytes.of(spark, action);
  }

  @Test
  void resolvesOnTheExecutorsAndRejectsUnknownSubjectsAndIds() {
    LongAccumulator made = spark.sparkContext().longAccumulator("ids made");
    JavaRDD<String> ids = datasetIds(made);
    SubjectResolver resolver = new SubjectResolver(spark).subjects(csv);
    SubjectResolver.Resolution[] out = new SubjectResolver.Resolution[1];
    long bytes = resultBytes(() -> out[0] = resolver.resolve(REQUESTS, ids));
    SubjectResolver.Resolution resolution = out[0];

    assertThat(resolution.resolved())
        .as("resolved requests and their ids")
        .extracting(r -> r.request().requestId(), SubjectResolver.Resolved::sampleIds)
        .containsExactly(
            tuple("r-1", List.of("train/1", "train/2")),
            tuple("r-2", List.of("train/399999", "train/5")));
    assertThat(resolution.sampleIds())
        .as("every resolved id once")
        .containsExactly("train/1", "train/2", "train/399999", "train/5");
    assertThat(resolution.rejected())
        .as("rejected requests and why")
        .extracting(Outcome::requestId, Outcome::reason)
        .containsExactly(
            tuple(
                "r-3",
                "Cannot resolve request r-3: subject u999 is not in subjects table "
                    + csv
                    + "; check the subject, or add its rows (subject, id) to the table"),
            tuple(
                "r-4",
                "Cannot resolve request r-4: 2 of its 3 sample ids are not in the dataset"
                    + " (train/400000, x/1); check the ids in the request"),
            tuple(
                "r-5",
                "Cannot resolve request r-5: 1 of its 2 sample ids are not in the dataset"
                    + " (train/999999999); check the ids of subject u3 in subjects table "
                    + csv));

    assertThat(made.value())
        .as("ids made on the executors: the dataset was scanned there, whole")
        .isEqualTo(DATASET_SIZE);
    long collectedDataset =
        resultBytes(() -> spark.createDataset(ids.rdd(), Encoders.STRING()).collectAsList());
    assertThat(collectedDataset)
        .as("bytes the tasks return when the dataset's ids are collected (the measure works)")
        .isGreaterThan(2_000_000L);
    assertThat(bytes)
        .as("bytes the tasks returned to the driver while resolving: far less than the dataset")
        .isLessThan(collectedDataset / 10);
  }

  @Test
  void readsParquetSubjectsAndRejectsSubjectsWithoutATable() {
    JavaRDD<String> ids = datasetIds(spark.sparkContext().longAccumulator());
    SubjectResolver.Resolution withParquet =
        new SubjectResolver(spark).subjects(parquet).resolve(REQUESTS.subList(0, 3), ids);
    assertThat(withParquet.resolved())
        .as("resolved with a Parquet subjects table")
        .extracting(r -> r.request().requestId(), SubjectResolver.Resolved::sampleIds)
        .containsExactly(
            tuple("r-1", List.of("train/1", "train/2")),
            tuple("r-2", List.of("train/399999", "train/5")));
    assertThat(withParquet.rejected())
        .as("rejected")
        .extracting(Outcome::requestId)
        .containsExactly("r-3");

    SubjectResolver.Resolution without =
        new SubjectResolver(spark).resolve(REQUESTS.subList(0, 2), ids);
    assertThat(without.resolved())
        .as("resolved without a subjects table")
        .extracting(r -> r.request().requestId())
        .containsExactly("r-2");
    assertThat(without.rejected())
        .as("a request by subject without a subjects table")
        .extracting(Outcome::reason)
        .containsExactly(
            "Cannot resolve request r-1: it names subject u1 but no subjects table was given;"
                + " give --subjects, or sample_ids in the request");
  }

  @Test
  void integerIdsInAParquetSubjectsTableMatchTheDataSetsRowPositions() {
    // a Hugging Face table has no id column: its ids are row positions, "0", "1", ...
    Path table = tmp.resolve("subjects-long-ids");
    spark
        .createDataFrame(
            List.of(RowFactory.create("u9", 5L), RowFactory.create("u9", 7L)),
            new StructType().add("subject", DataTypes.StringType).add("id", DataTypes.LongType))
        .write()
        .parquet(table.toString());
    JavaRDD<String> positions =
        JavaSparkContext.fromSparkContext(spark.sparkContext())
            .parallelize(IntStream.range(0, 100).mapToObj(Integer::toString).toList(), 2);

    SubjectResolver.Resolution resolution =
        new SubjectResolver(spark)
            .subjects(table.toString())
            .resolve(List.of(ErasureRequest.ofSubject("r-9", "u9")), positions);

    assertThat(resolution.resolved())
        .extracting(SubjectResolver.Resolved::sampleIds)
        .containsExactly(List.of("5", "7"));
  }

  @Test
  void refusesASubjectsTableWithoutTheColumns() throws IOException {
    Path bad = tmp.resolve("bad.csv");
    Files.writeString(bad, "user,sample\nu1,train/1\n");
    JavaRDD<String> ids = datasetIds(spark.sparkContext().longAccumulator());
    SubjectResolver resolver = new SubjectResolver(spark).subjects(bad.toString());
    assertThatThrownBy(() -> resolver.resolve(REQUESTS.subList(0, 1), ids))
        .as("a subjects CSV with other columns")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot read subjects table "
                + bad
                + ": it has no column 'subject', no column 'id' (columns: user, sample); give CSV"
                + " with a header row with string (or integer) columns subject and id");
    assertThatThrownBy(
            () ->
                new SubjectResolver(spark).resolve(List.of(REQUESTS.get(1), REQUESTS.get(1)), ids))
        .as("one request given twice")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot resolve requests: request r-2 is given twice; give each request once"
                + " (ErasureRequests.read does)");
    String missing = tmp.resolve("none.csv").toString();
    assertThatThrownBy(
            () -> new SubjectResolver(spark).subjects(missing).resolve(REQUESTS.subList(0, 1), ids))
        .as("a subjects table that does not exist")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot read subjects table " + missing + ": it does not exist; check --subjects");
  }
}
