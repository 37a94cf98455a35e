package dev.lethe.job.ledger;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;

import io.delta.tables.DeltaTable;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.ConcurrentModificationException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ledger of erasure requests: a Delta Lake table at a URI (s3a://, file:// or a plain path)
 * with one row per request, its {@link Outcome}.
 *
 * <ul>
 *   <li>{@link #open} creates the table when the URI holds none, and checks its columns when it
 *       does.
 *   <li>{@link #record} writes a batch of outcomes as one atomic MERGE keyed by {@code request_id}:
 *       all of them or none, and a retried batch updates its rows rather than adding new ones. A
 *       {@code forgotten} row is never replaced: a request once forgotten stays so.
 *   <li>{@link #pending} keeps the requests that have no outcome yet. Every status is final: a
 *       rejected or failed request waits for a person (who files a new request), not for the next
 *       sweep.
 *   <li>Two writers at once: Delta's optimistic concurrency lets the first commit win; the other
 *       gets a {@link LedgerConflictException} and writes nothing. Within one driver JVM this holds
 *       on every file system; across drivers it holds where Delta's log store has an atomic
 *       put-if-absent (HDFS, the local file system), and on S3 only with Delta's DynamoDB log store
 *       (docs/LEDGER.md).
 *   <li>Every commit is a table version: {@link #history} lists them and {@link #outcomesAsOf}
 *       reads the table as it was (time travel). The table keeps its log and its old files for
 *       {@link #RETENTION}, so audits can go back that far (unless someone runs VACUUM with less).
 * </ul>
 *
 * <p>The Spark session needs Delta's extension and catalog ({@link #SPARK_CONF}), set before the
 * session starts.
 */
public final class Ledger {

  /** The Spark settings Delta Lake needs; static, so they are given when the session starts. */
  public static final Map<String, String> SPARK_CONF =
      Map.of(
          "spark.sql.extensions",
          "io.delta.sql.DeltaSparkSessionExtension",
          "spark.sql.catalog.spark_catalog",
          "org.apache.spark.sql.delta.catalog.DeltaCatalog");

  /** How long the table keeps its log and replaced files, hence how far back time travel goes. */
  public static final String RETENTION = "interval 3650 days";

  /** The request id, the table's key. */
  public static final String REQUEST_ID = "request_id";

  /** The status column: {@code forgotten}, {@code rejected} or {@code failed}. */
  public static final String STATUS = "status";

  /** The ledger's columns, in order: the ten, then model, received_at and sample_ids. */
  public static final StructType SCHEMA =
      new StructType(
          new StructField[] {
            DataTypes.createStructField(REQUEST_ID, DataTypes.StringType, false),
            DataTypes.createStructField(STATUS, DataTypes.StringType, false),
            DataTypes.createStructField("version", DataTypes.StringType, true),
            DataTypes.createStructField("model_sha256", DataTypes.StringType, true),
            DataTypes.createStructField("sample_count", DataTypes.IntegerType, true),
            DataTypes.createStructField("forget_accuracy", DataTypes.DoubleType, true),
            DataTypes.createStructField("test_accuracy_before", DataTypes.DoubleType, true),
            DataTypes.createStructField("test_accuracy_after", DataTypes.DoubleType, true),
            DataTypes.createStructField("reason", DataTypes.StringType, true),
            DataTypes.createStructField("recorded_at", DataTypes.TimestampType, false),
            DataTypes.createStructField("model", DataTypes.StringType, true),
            DataTypes.createStructField("received_at", DataTypes.TimestampType, true),
            DataTypes.createStructField(
                "sample_ids", DataTypes.createArrayType(DataTypes.StringType, false), true)
          });

  private static final Logger LOG = LoggerFactory.getLogger(Ledger.class);
  private static final String DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension";

  private final SparkSession spark;
  private final String uri;
  // The URI qualified by its file system (file:/tmp/l for /tmp/l and file:///tmp/l): Delta compares
  // locations as strings.
  private final String location;

  private Ledger(SparkSession spark, String uri) {
    this.spark = spark;
    this.uri = uri;
    this.location = qualified(spark, uri);
  }

  /** One commit of the ledger: its version, when, the operation and Delta's metrics for it. */
  public record Commit(
      long version, Instant timestamp, String operation, Map<String, String> metrics) {}

  /**
   * Opens the ledger at {@code uri}, creating an empty one when nothing is there.
   *
   * @throws IllegalStateException when the session lacks Delta's extension ({@link #SPARK_CONF})
   * @throws IllegalArgumentException naming the URI when it holds something other than a ledger
   */
  public static Ledger open(SparkSession spark, String uri) {
    Ledger ledger = checked(spark, uri);
    if (DeltaTable.isDeltaTable(spark, ledger.location)) {
      ledger.checkSchema();
    } else {
      ledger.create();
    }
    return ledger;
  }

  /**
   * Opens the ledger at {@code uri} only to read it, or empty when there is none: nothing is
   * created (a sweep's dry run).
   *
   * @throws IllegalStateException when the session lacks Delta's extension ({@link #SPARK_CONF})
   * @throws IllegalArgumentException naming the URI when it holds a table other than a ledger
   */
  public static Optional<Ledger> openIfExists(SparkSession spark, String uri) {
    Ledger ledger = checked(spark, uri);
    if (!DeltaTable.isDeltaTable(spark, ledger.location)) {
      return Optional.empty();
    }
    ledger.checkSchema();
    return Optional.of(ledger);
  }

  private static Ledger checked(SparkSession spark, String uri) {
    Objects.requireNonNull(spark, "spark");
    if (uri == null || uri.isBlank()) {
      throw new IllegalArgumentException("Cannot open the ledger: its URI is empty; give --ledger");
    }
    String extensions = spark.conf().get("spark.sql.extensions", "");
    if (!extensions.contains(DELTA_EXTENSION)) {
      throw new IllegalStateException(
          "Cannot open ledger "
              + uri
              + ": the Spark session was started without Delta Lake's extension (spark.sql.extensions"
              + " is '"
              + extensions
              + "'); start it with --conf spark.sql.extensions="
              + DELTA_EXTENSION
              + " --conf spark.sql.catalog.spark_catalog="
              + SPARK_CONF.get("spark.sql.catalog.spark_catalog"));
    }
    return new Ledger(spark, uri);
  }

  /** The ledger's URI. */
  public String uri() {
    return uri;
  }

  /** The URI qualified by its file system, as Delta compares locations. */
  String location() {
    return location;
  }

  SparkSession spark() {
    return spark;
  }

  /** The table's current version (0 after creation; one more per commit). */
  public long version() {
    Row last = table().history(1).select("version").head();
    return last.getLong(0);
  }

  /** Every commit, oldest first. */
  public List<Commit> history() {
    List<Row> rows =
        table()
            .history()
            .select("version", "timestamp", "operation", "operationMetrics")
            .orderBy("version")
            .collectAsList();
    List<Commit> commits = new ArrayList<>(rows.size());
    for (Row row : rows) {
      Map<String, String> metrics =
          row.isNullAt(3) ? Map.of() : new LinkedHashMap<>(row.<String, String>getJavaMap(3));
      commits.add(
          new Commit(row.getLong(0), OutcomeRows.instant(row.get(1)), row.getString(2), metrics));
    }
    return commits;
  }

  /** The table as it is now, for queries on the executors. */
  public Dataset<Row> rows() {
    return spark.read().format("delta").load(location);
  }

  /**
   * The table as it was at {@code version} (time travel).
   *
   * @throws IllegalArgumentException naming the version when the table has no such version
   */
  public Dataset<Row> rowsAsOf(long version) {
    long current = version();
    if (version < 0 || version > current) {
      throw new IllegalArgumentException(
          "Cannot read ledger "
              + uri
              + " as of version "
              + version
              + ": its versions are 0 to "
              + current
              + "; give one of them");
    }
    return spark.read().format("delta").option("versionAsOf", version).load(location);
  }

  /** Every outcome now, by request id. */
  public List<Outcome> outcomes() {
    return OutcomeRows.toOutcomes(rows().orderBy(REQUEST_ID).collectAsList());
  }

  /** Every outcome as of {@code version}, by request id (see {@link #rowsAsOf}). */
  public List<Outcome> outcomesAsOf(long version) {
    return OutcomeRows.toOutcomes(rowsAsOf(version).orderBy(REQUEST_ID).collectAsList());
  }

  /** The outcome of request {@code requestId}, if there is one. */
  public Optional<Outcome> outcome(String requestId) {
    return single(rows(), requestId);
  }

  /** The outcome of request {@code requestId} as of {@code version} (see {@link #rowsAsOf}). */
  public Optional<Outcome> outcomeAsOf(String requestId, long version) {
    return single(rowsAsOf(version), requestId);
  }

  /**
   * The requests with no outcome in the ledger, in their given order. The ledger is not collected:
   * it is joined on the executors with the given ids (broadcast), and only the ids found come back.
   */
  public <T> List<T> pending(Collection<T> requests, Function<? super T, String> requestId) {
    Set<String> ids = new LinkedHashSet<>();
    for (T request : requests) {
      ids.add(requestId.apply(request));
    }
    Set<String> done = recordedAmong(ids);
    List<T> out = new ArrayList<>();
    for (T request : requests) {
      if (!done.contains(requestId.apply(request))) {
        out.add(request);
      }
    }
    return out;
  }

  /** The ids among {@code requestIds} with no outcome in the ledger, in their given order. */
  public List<String> pendingIds(Collection<String> requestIds) {
    return pending(requestIds, Function.identity());
  }

  private Set<String> recordedAmong(Set<String> ids) {
    if (ids.isEmpty()) {
      return Set.of();
    }
    Dataset<Row> wanted =
        spark.createDataset(new ArrayList<>(ids), Encoders.STRING()).toDF(REQUEST_ID);
    List<String> found =
        rows()
            .select(REQUEST_ID)
            .join(broadcast(wanted), REQUEST_ID)
            .distinct()
            .as(Encoders.STRING())
            .collectAsList();
    return new HashSet<>(found);
  }

  /**
   * Records {@code outcomes} as one atomic MERGE keyed by request id: new requests are inserted,
   * known ones updated (a retry adds no row), forgotten ones left as they are. Every row gets the
   * same {@code recorded_at}, now. Nothing is written when {@code outcomes} is empty.
   *
   * @throws IllegalArgumentException naming the request when the batch holds one twice
   * @throws LedgerConflictException when another writer committed first; nothing was written
   */
  public void record(Collection<Outcome> outcomes) {
    if (outcomes.isEmpty()) {
      return;
    }
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    Set<String> seen = new HashSet<>();
    List<Row> rows = new ArrayList<>(outcomes.size());
    for (Outcome outcome : outcomes) {
      if (!seen.add(outcome.requestId())) {
        throw new IllegalArgumentException(
            "Cannot record outcomes in ledger "
                + uri
                + ": request "
                + outcome.requestId()
                + " is in the batch twice; give one outcome per request");
      }
      rows.add(OutcomeRows.toRow(outcome.withRecordedAt(now)));
    }
    Dataset<Row> batch = spark.createDataFrame(rows, SCHEMA).coalesce(1);
    try {
      table()
          .as("ledger")
          .merge(batch.as("outcome"), "ledger." + REQUEST_ID + " = outcome." + REQUEST_ID)
          .whenMatched("ledger." + STATUS + " <> '" + Status.FORGOTTEN.value() + "'")
          .updateAll()
          .whenNotMatched()
          .insertAll()
          .execute();
    } catch (RuntimeException e) {
      ConcurrentModificationException conflict = DeltaTables.conflictIn(e);
      if (conflict == null) {
        throw e;
      }
      throw new LedgerConflictException(
          "Cannot record "
              + outcomes.size()
              + " outcomes in ledger "
              + uri
              + ": another writer committed first ("
              + conflict.getClass().getSimpleName()
              + "); nothing was written; read the pending requests again and retry, or run one"
              + " sweep per ledger at a time",
          uri,
          e);
    }
    LOG.info("Ledger {}: recorded {} outcomes", uri, rows.size());
  }

  private DeltaTable table() {
    return DeltaTable.forPath(spark, location);
  }

  private void create() {
    refuseOtherContent();
    DeltaTables.createIfMissing(
        spark,
        location,
        SCHEMA,
        "Lethe's ledger of erasure requests: one outcome per request_id",
        Map.of(
            "delta.logRetentionDuration",
            RETENTION,
            "delta.deletedFileRetentionDuration",
            RETENTION));
    LOG.info("Ledger {}: created", uri);
    checkSchema();
  }

  private static String qualified(SparkSession spark, String uri) {
    Path path = new Path(uri);
    try {
      return path.getFileSystem(spark.sparkContext().hadoopConfiguration())
          .makeQualified(path)
          .toString();
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "Cannot open ledger "
              + uri
              + ": no file system for it ("
              + e.getMessage()
              + "); give an s3a://, file:// or hdfs:// URI or a path",
          e);
    }
  }

  private void refuseOtherContent() {
    Path path = new Path(location);
    try {
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      int others = 0;
      for (FileStatus child : fs.listStatus(path)) {
        // A _delta_log without a commit yet is another writer creating the ledger right now.
        if (!child.getPath().getName().equals("_delta_log")) {
          others++;
        }
      }
      if (others > 0) {
        throw new IllegalArgumentException(
            "Cannot create ledger "
                + uri
                + ": the folder exists and holds "
                + others
                + " entries but no Delta table (no _delta_log); give a new path or an existing"
                + " ledger");
      }
    } catch (FileNotFoundException e) {
      // Nothing there: Delta creates the folder.
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot create ledger " + uri + ": " + e + "; check the path and its permissions", e);
    }
  }

  private void checkSchema() {
    StructType actual = rows().schema();
    List<String> problems = new ArrayList<>();
    for (StructField want : SCHEMA.fields()) {
      DataType have = null;
      for (StructField field : actual.fields()) {
        if (field.name().equals(want.name())) {
          have = field.dataType();
        }
      }
      if (have == null) {
        problems.add("no column " + want.name());
      } else if (!have.sameType(want.dataType())) {
        problems.add(
            "column "
                + want.name()
                + " is "
                + have.simpleString()
                + ", not "
                + want.dataType().simpleString());
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot open ledger "
              + uri
              + ": it is a Delta table but not a ledger ("
              + String.join(", ", problems)
              + "); give a ledger made by Lethe or a new path");
    }
  }

  private Optional<Outcome> single(Dataset<Row> table, String requestId) {
    List<Row> rows = table.filter(col(REQUEST_ID).equalTo(requestId)).collectAsList();
    return rows.isEmpty() ? Optional.empty() : Optional.of(OutcomeRows.toOutcome(rows.get(0)));
  }
}
