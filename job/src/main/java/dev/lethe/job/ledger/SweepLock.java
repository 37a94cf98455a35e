package dev.lethe.job.ledger;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.lethe.job.shutdown.Interruption;
import io.delta.tables.DeltaTable;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease that lets one sweep at a time work on a ledger: a one-row Delta table next to the
 * ledger's folder ({@code <ledger>}{@value #SUFFIX}; Delta cannot hold a table inside another's
 * folder), so that two sweeps started at once cannot both publish.
 *
 * <ul>
 *   <li>{@link #acquire} is one Delta MERGE that inserts the lease row, or takes over a row that
 *       was released or has expired. Two sweeps acquiring at once: Delta's optimistic concurrency
 *       commits one MERGE and refuses the other, whose sweep gets a {@link SweepLockedException}
 *       naming the holder and does nothing.
 *   <li>The holder renews the lease every third of its time to live in a background thread, so a
 *       sweep that runs for hours keeps it, and one that was killed loses it within the time to
 *       live ({@link #DEFAULT_TTL} unless set).
 *   <li>{@link #check} renews and fails with {@link SweepLockLostException} when another sweep has
 *       taken over an expired lease (a sweep paused longer than the time to live, e.g. a stopped
 *       JVM): the sweep calls it right before it publishes a version, so a sweep that lost its
 *       lease publishes nothing.
 *   <li>{@link #close} releases the lease; so does a JVM stopped by a signal ({@link
 *       Interruption}), while Spark is still up.
 * </ul>
 *
 * <p>Expiry compares the drivers' clocks: keep them in sync (NTP) to well under the time to live.
 * The guarantee across drivers is Delta's: it holds where Delta's log store has an atomic
 * put-if-absent (HDFS, local file systems; S3 with Delta's DynamoDB log store), see docs/LEDGER.md.
 */
public final class SweepLock implements AutoCloseable {

  /** What the lease table's folder adds to the ledger folder's name. */
  public static final String SUFFIX = "_sweep_lock";

  /** Seconds a lease lives without renewal, unless set. */
  public static final int DEFAULT_TTL_SECONDS = 600;

  /** How long a lease lives without renewal, unless set. */
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(DEFAULT_TTL_SECONDS);

  private static final String KEY = "sweep";

  static final StructType SCHEMA =
      new StructType(
          new StructField[] {
            DataTypes.createStructField("lock", DataTypes.StringType, false),
            DataTypes.createStructField("holder", DataTypes.StringType, false),
            DataTypes.createStructField("acquired_at", DataTypes.TimestampType, false),
            DataTypes.createStructField("expires_at", DataTypes.TimestampType, false),
            DataTypes.createStructField("released_at", DataTypes.TimestampType, true)
          });

  private static final Logger LOG = LoggerFactory.getLogger(SweepLock.class);

  /** Who holds a lease, since when and until when (unless renewed). */
  public record Lease(String holder, Instant acquiredAt, Instant expiresAt, Instant releasedAt) {

    /** Whether it binds a sweep at {@code now}: not released and not expired. */
    public boolean heldAt(Instant now) {
      return releasedAt == null && expiresAt.isAfter(now);
    }
  }

  private final SparkSession spark;
  private final String ledgerUri;
  private final String location;
  private final String holder;
  private final Duration ttl;
  private ScheduledExecutorService heartbeat;
  private volatile String lost;
  private final AtomicBoolean closed = new AtomicBoolean();
  private Interruption.Cleanup onStop;

  private SweepLock(
      SparkSession spark, String ledgerUri, String location, String holder, Duration ttl) {
    this.spark = spark;
    this.ledgerUri = ledgerUri;
    this.location = location;
    this.holder = holder;
    this.ttl = ttl;
  }

  /** A holder name that says where the sweep runs: {@code sweep <id> on <host> (<app id>)}. */
  public static String holderName(SparkSession spark) {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "unknown host";
    }
    return "sweep "
        + UUID.randomUUID().toString().substring(0, 8)
        + " on "
        + host
        + " ("
        + spark.sparkContext().applicationId()
        + ")";
  }

  /**
   * Takes the ledger's sweep lease for {@code holder}, and keeps renewing it until {@link #close}.
   *
   * @throws SweepLockedException naming the holder when another sweep holds an unexpired lease or
   *     took it at the same moment
   */
  public static SweepLock acquire(Ledger ledger, String holder, Duration ttl) {
    Objects.requireNonNull(holder, "holder");
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException(
          "Cannot take a sweep lease of " + ttl + ": give 1s or more");
    }
    SparkSession spark = ledger.spark();
    String location = locationOf(ledger);
    SweepLock lock = new SweepLock(spark, ledger.uri(), location, holder, ttl);
    DeltaTables.createIfMissing(
        spark,
        location,
        SCHEMA,
        "Lethe's sweep lease: one sweep at a time works on the ledger",
        Map.of());
    Instant now = now();
    Row lease =
        RowFactory.create(KEY, holder, Timestamp.from(now), Timestamp.from(now.plus(ttl)), null);
    try {
      lock.table()
          .as("l")
          .merge(
              spark.createDataFrame(List.of(lease), SCHEMA).coalesce(1).as("s"), "l.lock = s.lock")
          .whenMatched("l.released_at IS NOT NULL OR l.expires_at < s.acquired_at")
          .updateAll()
          .whenNotMatched()
          .insertAll()
          .execute();
    } catch (Exception e) {
      // Exception: Delta's AnalysisException is checked, thrown undeclared.
      // Delta refuses the second of two MERGEs at once as a conflict; whatever the error, the
      // lease row says who won (checked below). Only an error with no lease row at all is this
      // sweep's own.
      if (lock.current().isEmpty()) {
        throw e instanceof RuntimeException runtime
            ? runtime
            : new IllegalStateException(
                "Cannot take the sweep lease at " + location + ": " + e.getMessage(), e);
      }
      LOG.info("Sweep lock of {}: another sweep committed first ({})", ledger.uri(), e.toString());
    }
    Optional<Lease> current = lock.current();
    if (current.isEmpty() || !current.get().holder().equals(holder)) {
      throw new SweepLockedException(ledger.uri(), current.orElse(null));
    }
    lock.startHeartbeat();
    lock.onStop = Interruption.onStop("sweep lease of " + ledger.uri(), lock::close);
    LOG.info("Sweep lock of {}: taken by {} until {}", ledger.uri(), holder, now.plus(ttl));
    return lock;
  }

  /** The lease recorded now, if any (released or not). */
  public static Optional<Lease> current(Ledger ledger) {
    String location = locationOf(ledger);
    return DeltaTable.isDeltaTable(ledger.spark(), location)
        ? read(ledger.spark(), location)
        : Optional.empty();
  }

  /** Where the lease table of {@code ledger} is: a sibling of its folder. */
  public static String locationOf(Ledger ledger) {
    Path path = new Path(ledger.location());
    if (path.getParent() == null) {
      throw new IllegalArgumentException(
          "Cannot lock ledger "
              + ledger.uri()
              + " for a sweep: it is a file system's root, and its lock lives next to it; give a"
              + " folder, e.g. "
              + new Path(path, "ledger"));
    }
    return new Path(path.getParent(), path.getName() + SUFFIX).toString();
  }

  /** The holder's name. */
  public String holder() {
    return holder;
  }

  /**
   * Renews the lease and checks that this sweep still holds it.
   *
   * @throws SweepLockLostException when another sweep took it over after it expired, or it could
   *     not be renewed
   */
  public void check() {
    String why = renew();
    if (why != null) {
      lost = why;
    }
    if (lost != null) {
      throw new SweepLockLostException(ledgerUri, holder, lost);
    }
  }

  /**
   * Stops renewing and releases the lease (if this sweep still holds it); once, whichever of the
   * sweep's thread and the stopping JVM's hook comes first.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (onStop != null) {
      onStop.close();
    }
    if (heartbeat != null) {
      heartbeat.shutdownNow();
      try {
        heartbeat.awaitTermination(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      table()
          .update(
              mine(),
              Map.of("released_at", lit(Timestamp.from(now())).cast(DataTypes.TimestampType)));
      LOG.info("Sweep lock of {}: released by {}", ledgerUri, holder);
    } catch (Exception e) { // Delta's AnalysisException is checked, thrown undeclared
      LOG.warn(
          "Sweep lock of {}: could not release it ({}); it expires by itself within {}",
          ledgerUri,
          e.toString(),
          ttl);
    }
  }

  /** Stops renewing, as a sweep whose JVM was paused or stopped would (tests). */
  void stopRenewing() {
    if (heartbeat != null) {
      heartbeat.shutdownNow();
    }
  }

  private void startHeartbeat() {
    long period = Math.max(1, ttl.toMillis() / 3);
    heartbeat =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "lethe-sweep-lock-heartbeat");
              t.setDaemon(true);
              return t;
            });
    heartbeat.scheduleAtFixedRate(
        () -> {
          String why = renew();
          if (why != null && lost == null) {
            lost = why;
            LOG.warn("Sweep lock of {}: {}", ledgerUri, why);
          }
        },
        period,
        period,
        TimeUnit.MILLISECONDS);
  }

  /** Extends this holder's lease by the time to live; returns why it is lost, or null. */
  private synchronized String renew() {
    Instant now = now();
    try {
      table()
          .update(
              mine(),
              Map.of(
                  "expires_at", lit(Timestamp.from(now.plus(ttl))).cast(DataTypes.TimestampType)));
    } catch (Exception e) { // Delta's AnalysisException is checked, thrown undeclared
      if (DeltaTables.conflictIn(e) == null) {
        return "could not renew the lease: " + e;
      }
      // Another sweep committed to the lock table at the same moment; what it did shows below.
    }
    Optional<Lease> lease = current();
    if (lease.isPresent() && lease.get().holder().equals(holder) && lease.get().heldAt(now)) {
      return null;
    }
    return lease.isPresent() && !lease.get().holder().equals(holder)
        ? "the lease expired and " + lease.get().holder() + " took it"
        : "the lease is no longer held (" + lease.map(Lease::toString).orElse("no lease row") + ")";
  }

  private Column mine() {
    return col("lock")
        .equalTo(KEY)
        .and(col("holder").equalTo(holder))
        .and(col("released_at").isNull());
  }

  private Optional<Lease> current() {
    return read(spark, location);
  }

  /** The lease row of the lease table at {@code location}, if any. */
  private static Optional<Lease> read(SparkSession spark, String location) {
    List<Row> rows =
        spark
            .read()
            .format("delta")
            .load(location)
            .filter(col("lock").equalTo(KEY))
            .collectAsList();
    if (rows.isEmpty()) {
      return Optional.empty();
    }
    Row r = rows.get(0);
    return Optional.of(
        new Lease(
            r.getAs("holder"),
            instant(r.getAs("acquired_at")),
            instant(r.getAs("expires_at")),
            instant(r.getAs("released_at"))));
  }

  private DeltaTable table() {
    return DeltaTable.forPath(spark, location);
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }

  private static Instant instant(Object value) {
    return value == null ? null : ((Timestamp) value).toInstant();
  }
}
