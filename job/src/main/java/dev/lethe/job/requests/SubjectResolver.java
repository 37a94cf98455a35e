package dev.lethe.job.requests;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;

import dev.lethe.data.Sample;
import dev.lethe.job.data.ColumnTypes;
import dev.lethe.job.ledger.Outcome;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves erasure requests to the sample ids they ask to forget, on the executors.
 *
 * <p>A request by subject takes the subject's ids from the subjects table ({@link
 * #subjects(String)}: CSV with a header row, or Parquet, with string columns {@code subject} and
 * {@code id}); a request by ids takes its own. Every id is then checked against the dataset's ids.
 * Both checks are joins on the executors with the requests broadcast: the subjects table and the
 * dataset are never collected to the driver; only the requested ids (and which of them the dataset
 * holds) come back. A request whose subject is unknown, or some of whose ids are not in the
 * dataset, is rejected with a reason naming them; the others are resolved.
 */
public final class SubjectResolver {

  /** The subjects table's subject column. */
  public static final String SUBJECT = "subject";

  /** The subjects table's sample id column. */
  public static final String ID = "id";

  /** How many missing ids a rejection's reason names before it says "and N more". */
  public static final int NAMED_IDS = 10;

  private static final Logger LOG = LoggerFactory.getLogger(SubjectResolver.class);
  private static final String REQUEST_ID = "request_id";

  private final SparkSession spark;
  private String subjects;

  public SubjectResolver(SparkSession spark) {
    this.spark = Objects.requireNonNull(spark, "spark");
  }

  /** The subjects table's URI (CSV or Parquet); without one, requests by subject are rejected. */
  public SubjectResolver subjects(String uri) {
    this.subjects = uri;
    return this;
  }

  /** A request and the sample ids it resolved to, distinct and sorted. */
  public record Resolved(ErasureRequest request, List<String> sampleIds) {
    public Resolved {
      sampleIds = List.copyOf(sampleIds);
    }
  }

  /**
   * What {@link #resolve} found.
   *
   * @param resolved the requests that can be served, in the given order
   * @param rejected a {@code rejected} outcome for each of the others, in the given order
   */
  public record Resolution(List<Resolved> resolved, List<Outcome> rejected) {
    public Resolution {
      resolved = List.copyOf(resolved);
      rejected = List.copyOf(rejected);
    }

    /** Every resolved sample id once, sorted. */
    public List<String> sampleIds() {
      Set<String> ids = new TreeSet<>();
      for (Resolved r : resolved) {
        ids.addAll(r.sampleIds());
      }
      return new ArrayList<>(ids);
    }
  }

  /** The ids of a dataset read by {@code SampleReader}, mapped on the executors. */
  public static JavaRDD<String> idsOf(JavaRDD<Sample> samples) {
    return samples.map(Sample::id);
  }

  /** {@link #resolve(List, Dataset)} with the dataset's ids as an RDD. */
  public Resolution resolve(List<ErasureRequest> requests, JavaRDD<String> datasetIds) {
    return resolve(requests, spark.createDataset(datasetIds.rdd(), Encoders.STRING()));
  }

  /**
   * Resolves {@code requests} against the subjects table and {@code datasetIds}.
   *
   * @throws IllegalArgumentException naming the subjects table when it is missing or lacks the
   *     columns, or naming a request given twice
   */
  public Resolution resolve(List<ErasureRequest> requests, Dataset<String> datasetIds) {
    Map<String, Set<String>> wanted = new HashMap<>();
    List<Row> bySubject = new ArrayList<>();
    List<Row> candidates = new ArrayList<>();
    for (ErasureRequest request : requests) {
      if (wanted.put(request.requestId(), new TreeSet<>()) != null) {
        throw new IllegalArgumentException(
            "Cannot resolve requests: request "
                + request.requestId()
                + " is given twice; give each request once (ErasureRequests.read does)");
      }
      if (request.bySubject()) {
        bySubject.add(RowFactory.create(request.requestId(), request.subject()));
      } else {
        for (String id : request.sampleIds()) {
          candidates.add(RowFactory.create(request.requestId(), id));
        }
      }
    }
    if (!bySubject.isEmpty() && subjects != null) {
      // The subjects table is scanned on the executors; only the requested subjects' rows return.
      Dataset<Row> asked =
          spark.createDataFrame(bySubject, schema(REQUEST_ID, SUBJECT)).dropDuplicates();
      candidates.addAll(
          readSubjects()
              .join(broadcast(asked), SUBJECT)
              .select(REQUEST_ID, ID)
              .distinct()
              .collectAsList());
    }
    for (Row row : candidates) {
      wanted.get(row.getString(0)).add(row.getString(1));
    }
    Map<String, Set<String>> present = new HashMap<>();
    if (!candidates.isEmpty()) {
      // The dataset is joined on the executors against the broadcast candidates; only the pairs
      // it holds come back, never the dataset.
      Dataset<Row> asked = spark.createDataFrame(candidates, schema(REQUEST_ID, ID));
      List<Row> found =
          datasetIds
              .toDF(ID)
              .join(broadcast(asked), ID)
              .select(REQUEST_ID, ID)
              .distinct()
              .collectAsList();
      for (Row row : found) {
        present.computeIfAbsent(row.getString(0), k -> new TreeSet<>()).add(row.getString(1));
      }
    }
    List<Resolved> resolved = new ArrayList<>();
    List<Outcome> rejected = new ArrayList<>();
    for (ErasureRequest request : requests) {
      Set<String> ids = wanted.get(request.requestId());
      String reason = problem(request, ids, present.getOrDefault(request.requestId(), Set.of()));
      if (reason == null) {
        resolved.add(new Resolved(request, new ArrayList<>(ids)));
      } else {
        rejected.add(
            Outcome.rejected(request.requestId(), reason).withReceivedAt(request.receivedAt()));
      }
    }
    LOG.info(
        "Resolved {} requests: {} to {} samples, {} rejected",
        requests.size(),
        resolved.size(),
        resolved.stream().mapToInt(r -> r.sampleIds().size()).sum(),
        rejected.size());
    return new Resolution(resolved, rejected);
  }

  private String problem(ErasureRequest request, Set<String> ids, Set<String> present) {
    String prefix = "Cannot resolve request " + request.requestId() + ": ";
    if (request.bySubject() && subjects == null) {
      return prefix
          + "it names subject "
          + request.subject()
          + " but no subjects table was given; give --subjects, or sample_ids in the request";
    }
    if (request.bySubject() && ids.isEmpty()) {
      return prefix
          + "subject "
          + request.subject()
          + " is not in subjects table "
          + subjects
          + "; check the subject, or add its rows (subject, id) to the table";
    }
    if (present.size() < ids.size()) {
      List<String> missing = new ArrayList<>();
      for (String id : ids) {
        if (!present.contains(id)) {
          missing.add(id);
        }
      }
      String named = String.join(", ", missing.subList(0, Math.min(NAMED_IDS, missing.size())));
      if (missing.size() > NAMED_IDS) {
        named += " and " + (missing.size() - NAMED_IDS) + " more";
      }
      return prefix
          + missing.size()
          + " of its "
          + ids.size()
          + " sample ids are not in the dataset ("
          + named
          + "); check the ids"
          + (request.bySubject()
              ? " of subject " + request.subject() + " in subjects table " + subjects
              : " in the request");
    }
    return null;
  }

  private Dataset<Row> readSubjects() {
    Path path = new Path(subjects);
    boolean parquet;
    try {
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      parquet = isParquet(fs, fs.getFileStatus(path));
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException(
          "Cannot read subjects table " + subjects + ": it does not exist; check --subjects", e);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read subjects table "
              + subjects
              + ": "
              + e
              + "; check the path and its permissions",
          e);
    }
    Dataset<Row> table =
        parquet
            ? spark.read().parquet(subjects)
            : spark.read().option("header", "true").option("mode", "FAILFAST").csv(subjects);
    List<String> problems = new ArrayList<>();
    for (String column : List.of(SUBJECT, ID)) {
      StructField field =
          Arrays.stream(table.schema().fields())
              .filter(f -> f.name().equals(column))
              .findFirst()
              .orElse(null);
      if (field == null) {
        problems.add("no column '" + column + "'");
      } else if (!field.dataType().equals(DataTypes.StringType)
          && !ColumnTypes.isInteger(field.dataType())) {
        problems.add("column '" + column + "' is " + field.dataType().simpleString());
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot read subjects table "
              + subjects
              + ": it has "
              + String.join(", ", problems)
              + " (columns: "
              + String.join(", ", table.schema().fieldNames())
              + "); give "
              + (parquet ? "Parquet" : "CSV with a header row")
              + " with string (or integer) columns subject and id");
    }
    // integer ids (a Parquet table's row positions, numeric user ids) as their digits
    return table
        .select(
            col(SUBJECT).cast(DataTypes.StringType).as(SUBJECT),
            col(ID).cast(DataTypes.StringType).as(ID))
        .na()
        .drop();
  }

  private static boolean isParquet(FileSystem fs, FileStatus status) throws IOException {
    if (status.isDirectory()) {
      for (FileStatus child : fs.listStatus(status.getPath())) {
        if (child.getPath().getName().toLowerCase(Locale.ROOT).endsWith(".parquet")) {
          return true;
        }
      }
      return false;
    }
    if (status.getPath().getName().toLowerCase(Locale.ROOT).endsWith(".parquet")) {
      return true;
    }
    byte[] head = new byte[4];
    try (InputStream in = fs.open(status.getPath())) {
      int n = in.readNBytes(head, 0, 4);
      return n == 4 && new String(head, StandardCharsets.US_ASCII).equals("PAR1");
    }
  }

  private static StructType schema(String first, String second) {
    return new StructType(
        new StructField[] {
          DataTypes.createStructField(first, DataTypes.StringType, false),
          DataTypes.createStructField(second, DataTypes.StringType, false)
        });
  }
}
