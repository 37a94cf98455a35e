package dev.lethe.job.unlearn;

import dev.lethe.attack.AdversarialExample;
import dev.lethe.data.ImageShape;
import dev.lethe.data.Sample;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Stage A's output as a Parquet table under the run's work folder: one row per adversarial example
 * (source_id, index, source_label, target, channels, height, width, pixels, success). The executors
 * write it (a retried task regenerates the same rows from its seeds, and Spark's commit protocol
 * keeps one attempt's file); the driver reads it back for the fine-tune.
 */
public final class AdversarialCheckpoint {

  /** The table's schema. */
  public static final StructType SCHEMA =
      new StructType()
          .add("source_id", DataTypes.StringType, false)
          .add("index", DataTypes.IntegerType, false)
          .add("source_label", DataTypes.IntegerType, false)
          .add("target", DataTypes.IntegerType, false)
          .add("channels", DataTypes.IntegerType, false)
          .add("height", DataTypes.IntegerType, false)
          .add("width", DataTypes.IntegerType, false)
          .add("pixels", DataTypes.createArrayType(DataTypes.FloatType, false), false)
          .add("success", DataTypes.BooleanType, false);

  private AdversarialCheckpoint() {}

  /** Computes {@code examples} (running their Spark job) and writes them to {@code uri}. */
  public static void write(SparkSession spark, JavaRDD<AdversarialExample> examples, String uri) {
    spark
        .createDataFrame(examples.map(AdversarialCheckpoint::toRow), SCHEMA)
        .write()
        .mode(SaveMode.ErrorIfExists)
        .parquet(uri);
  }

  /**
   * Reads the examples at {@code uri} back, in the order of {@code forget} and then of their index
   * (the order of {@link dev.lethe.attack.PgdAttack#generate}), each (instance, index) once.
   *
   * @throws IllegalStateException when the table holds an example of an instance not in {@code
   *     forget}
   */
  public static List<AdversarialExample> read(SparkSession spark, String uri, List<Sample> forget) {
    Map<String, Integer> position = new HashMap<>();
    for (int i = 0; i < forget.size(); i++) {
      position.putIfAbsent(forget.get(i).id(), i);
    }
    List<AdversarialExample> out = new ArrayList<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (Row row : spark.read().schema(SCHEMA).parquet(uri).collectAsList()) {
      AdversarialExample e = fromRow(row);
      // A retried task whose first attempt's file survived would add its rows twice; a retry
      // regenerates the same rows from the same seeds, so one copy is kept.
      if (!seen.add(e.sourceId() + "\u0000" + e.index())) {
        continue;
      }
      if (!position.containsKey(e.sourceId())) {
        throw new IllegalStateException(
            "Adversarial checkpoint "
                + uri
                + " holds an example of "
                + e.sourceId()
                + ", which is not in this run's forget set; remove the work folder");
      }
      out.add(e);
    }
    out.sort(
        Comparator.comparingInt((AdversarialExample e) -> position.get(e.sourceId()))
            .thenComparingInt(AdversarialExample::index));
    return out;
  }

  private static Row toRow(AdversarialExample e) {
    ImageShape s = e.shape();
    return RowFactory.create(
        e.sourceId(),
        e.index(),
        e.sourceLabel(),
        e.target(),
        s.channels(),
        s.height(),
        s.width(),
        e.pixels(),
        e.success());
  }

  private static AdversarialExample fromRow(Row row) {
    List<Float> values = row.getList(7);
    float[] pixels = new float[values.size()];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = values.get(i);
    }
    return new AdversarialExample(
        row.getString(0),
        row.getInt(1),
        row.getInt(2),
        row.getInt(3),
        new ImageShape(row.getInt(4), row.getInt(5), row.getInt(6)),
        pixels,
        row.getBoolean(8));
  }
}
