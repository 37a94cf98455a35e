package dev.lethe.job.ledger;

import io.delta.tables.DeltaTable;
import io.delta.tables.DeltaTableBuilder;
import java.util.ConcurrentModificationException;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/** What the ledger and its sweep lock share about Delta tables: creation and conflicts. */
final class DeltaTables {

  private DeltaTables() {}

  /**
   * Creates a Delta table at {@code location} unless one is there; another writer creating it at
   * the same moment is fine (its table is used).
   */
  static void createIfMissing(
      SparkSession spark,
      String location,
      StructType schema,
      String comment,
      Map<String, String> properties) {
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
    } catch (RuntimeException e) {
      if (conflictIn(e) == null || !DeltaTable.isDeltaTable(spark, location)) {
        throw e;
      }
    }
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
