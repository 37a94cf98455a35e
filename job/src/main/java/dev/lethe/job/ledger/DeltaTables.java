package dev.lethe.job.ledger;

import io.delta.tables.DeltaTable;
import io.delta.tables.DeltaTableBuilder;
import java.util.ConcurrentModificationException;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/** What the ledger and its sweep lock share about Delta tables: creation and conflicts. */
final class DeltaTables {

  private static final int CREATE_ATTEMPTS = 20;
  private static final long CREATE_RETRY_MILLIS = 250;

  private DeltaTables() {}

  /**
   * Creates a Delta table at {@code location} unless one is there; another writer creating it at
   * the same moment is fine: its table is used (the attempt is retried for up to 5 s while the
   * other's first commit lands).
   */
  static void createIfMissing(
      SparkSession spark,
      String location,
      StructType schema,
      String comment,
      Map<String, String> properties) {
    Exception failed = null;
    for (int attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
      if (DeltaTable.isDeltaTable(spark, location)) {
        return;
      }
      try {
        DeltaTableBuilder builder =
            DeltaTable.createIfNotExists(spark)
                .location(location)
                .addColumns(schema)
                .comment(comment);
        for (Map.Entry<String, String> p : properties.entrySet()) {
          builder = builder.property(p.getKey(), p.getValue());
        }
        builder.execute();
        return;
      } catch (Exception e) {
        // Exception, not RuntimeException: Delta's AnalysisException is checked, thrown undeclared.
        // Another writer creating it at the same moment: Delta reports a conflict, or, while the
        // other's first commit is still being written, a location that is "not empty and also not
        // a Delta table". Wait for that commit and use the other's table.
        failed = e;
        try {
          Thread.sleep(CREATE_RETRY_MILLIS);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw unchecked(e, location);
        }
      }
    }
    if (DeltaTable.isDeltaTable(spark, location)) {
      return;
    }
    throw unchecked(failed, location);
  }

  private static RuntimeException unchecked(Exception e, String location) {
    return e instanceof RuntimeException runtime
        ? runtime
        : new IllegalStateException(
            "Cannot create the Delta table at " + location + ": " + e.getMessage(), e);
  }

  /** The Delta conflict among {@code e} and its causes, or null when there is none. */
  static ConcurrentModificationException conflictIn(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConcurrentModificationException conflict) {
        return conflict;
      }
    }
    return null;
  }
}
