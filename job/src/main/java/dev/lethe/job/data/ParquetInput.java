package dev.lethe.job.data;

import dev.lethe.data.ImageDecoder;
import dev.lethe.data.ParquetSampleReader;
import dev.lethe.data.ParquetSampleWriter;
import dev.lethe.data.Sample;
import dev.lethe.failure.FailureMessage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * Parquet input ({@code id} string, {@code label} int, {@code image} PNG/JPEG bytes): the schema is
 * checked on the driver, images are decoded on the executors.
 */
final class ParquetInput {

  private ParquetInput() {}

  static SampleReader.Result read(ReadOptions o, String uri) {
    Dataset<Row> table;
    try {
      table = o.spark().read().parquet(uri);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "Cannot read Parquet input "
              + uri
              + ": "
              + FailureMessage.firstLine(e.getMessage())
              + "; give a Parquet file or a directory of part files",
          e);
    }
    checkSchema(table.schema(), uri);
    JavaRDD<Row> rows =
        table
            .select(ParquetSampleWriter.ID, ParquetSampleWriter.LABEL, ParquetSampleWriter.IMAGE)
            .javaRDD();
    if (o.limit() != SampleReader.NO_LIMIT) {
      long max = o.limit();
      rows = rows.zipWithIndex().filter(t -> t._2() < max).map(Tuple2::_1);
    }
    rows = o.spread(rows);
    JavaRDD<Sample> samples = rows.map(row -> decodeRow(uri, row));
    return new SampleReader.Result(samples, DataFormat.PARQUET, "Parquet table " + uri);
  }

  private static void checkSchema(StructType schema, String uri) {
    List<String> problems = new ArrayList<>();
    check(schema, ParquetSampleWriter.ID, DataTypes.StringType, problems);
    check(schema, ParquetSampleWriter.LABEL, DataTypes.IntegerType, problems);
    check(schema, ParquetSampleWriter.IMAGE, DataTypes.BinaryType, problems);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot read Parquet input "
              + uri
              + ": "
              + String.join(", ", problems)
              + "; expected columns "
              + ParquetSampleReader.EXPECTED_SCHEMA);
    }
  }

  private static void check(StructType schema, String column, DataType type, List<String> out) {
    StructField field =
        Arrays.stream(schema.fields())
            .filter(f -> f.name().equals(column))
            .findFirst()
            .orElse(null);
    if (field == null) {
      out.add(
          "it has no column '"
              + column
              + "' (columns: "
              + String.join(", ", schema.fieldNames())
              + ")");
    } else if (!field.dataType().equals(type)) {
      out.add(
          "column '"
              + column
              + "' is "
              + field.dataType().simpleString()
              + ", not "
              + type.simpleString());
    }
  }

  private static Sample decodeRow(String uri, Row row) {
    if (row.isNullAt(0) || row.isNullAt(1) || row.isNullAt(2)) {
      throw new IllegalArgumentException(
          "Cannot read Parquet input "
              + uri
              + ": row "
              + (row.isNullAt(0) ? "with a null id" : row.getString(0))
              + " has a null id, label or image; every row needs all three");
    }
    String id = row.getString(0);
    try {
      return ImageDecoder.decode(id, row.getInt(1), (byte[]) row.get(2));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Cannot read Parquet input "
              + uri
              + ": the image of row "
              + id
              + " does not decode ("
              + e.getMessage()
              + ")",
          e);
    }
  }
}
