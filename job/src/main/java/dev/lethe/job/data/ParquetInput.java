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
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * Parquet input: Lethe's own tables ({@code id} string, {@code label} int, {@code image} PNG/JPEG
 * bytes) and those Hugging Face {@code datasets} writes for image data sets ({@code image} or
 * {@code img} a struct of {@code bytes} and {@code path}, {@code label} int64, no id). Labels of
 * any integer type are read as ints, integer ids as their decimal digits. A table without an {@code
 * id} column gets each row's position as its id ({@code "0"}, {@code "1"}, ...): files in name
 * order (a data set's shards, {@code train-00000-of-00002...}), rows in file order, so an id is the
 * row's index in the data set. The schema is checked on the driver, images are decoded on the
 * executors.
 */
final class ParquetInput {

  /** The image column's other name (CIFAR-10 on the Hugging Face hub calls it so). */
  static final String IMG = "img";

  /** The field of a Hugging Face image struct that holds the encoded bytes. */
  static final String BYTES = "bytes";

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
    Columns columns = checkSchema(table.schema(), uri);
    Column id =
        columns.hasId()
            ? functions.col(ParquetSampleWriter.ID).cast(DataTypes.StringType)
            : rowPositions(table).cast(DataTypes.StringType);
    JavaRDD<Row> rows =
        table
            .select(
                id.as(ParquetSampleWriter.ID),
                functions.col(ParquetSampleWriter.LABEL).cast(DataTypes.IntegerType),
                functions.col(columns.image()))
            .javaRDD();
    if (o.limit() != SampleReader.NO_LIMIT) {
      long max = o.limit();
      rows = rows.zipWithIndex().filter(t -> t._2() < max).map(Tuple2::_1);
    }
    rows = o.spread(rows);
    JavaRDD<Sample> samples = rows.map(row -> decodeRow(uri, row));
    return new SampleReader.Result(
        samples,
        DataFormat.PARQUET,
        "Parquet table "
            + uri
            + (columns.hasId() ? "" : " (no id column: each row's position is its id, from 0)"));
  }

  /** Where a table keeps its images, and whether it has ids. */
  private record Columns(String image, boolean hasId) {}

  /**
   * Each row's position in the table: files in name order, rows in file order (Parquet's {@code
   * _metadata.row_index}), offset by the rows of the files before. One pass over the files' row
   * counts on the executors; the driver holds one count per file.
   */
  private static Column rowPositions(Dataset<Row> table) {
    Column file = functions.col("_metadata.file_path");
    List<Row> counts = table.groupBy(file.as("file")).count().collectAsList();
    List<Row> sorted = new ArrayList<>(counts);
    sorted.sort(java.util.Comparator.comparing((Row r) -> r.getString(0)));
    String[] files = new String[sorted.size()];
    long[] offsets = new long[sorted.size()];
    long before = 0;
    for (int i = 0; i < files.length; i++) {
      files[i] = sorted.get(i).getString(0);
      offsets[i] = before;
      before += sorted.get(i).getLong(1);
    }
    Column offset =
        functions.element_at(
            functions.map_from_arrays(functions.lit(files), functions.lit(offsets)), file);
    return offset.plus(functions.col("_metadata.row_index"));
  }

  private static Columns checkSchema(StructType schema, String uri) {
    List<String> problems = new ArrayList<>();
    StructField id = field(schema, ParquetSampleWriter.ID);
    if (id != null
        && !id.dataType().equals(DataTypes.StringType)
        && !ColumnTypes.isInteger(id.dataType())) {
      problems.add(
          "column 'id' is "
              + id.dataType().simpleString()
              + ", not string or an integer type (or no id column)");
    }
    StructField label = field(schema, ParquetSampleWriter.LABEL);
    if (label == null) {
      problems.add(missing(schema, ParquetSampleWriter.LABEL));
    } else if (!ColumnTypes.isInteger(label.dataType())) {
      problems.add(
          "column 'label' is " + label.dataType().simpleString() + ", not an integer type");
    }
    String image = null;
    StructField imageField = field(schema, ParquetSampleWriter.IMAGE);
    if (imageField == null) {
      imageField = field(schema, IMG);
    }
    if (imageField == null) {
      problems.add(missing(schema, ParquetSampleWriter.IMAGE));
    } else if (imageField.dataType().equals(DataTypes.BinaryType)) {
      image = imageField.name();
    } else if (imageField.dataType() instanceof StructType struct
        && field(struct, BYTES) != null
        && field(struct, BYTES).dataType().equals(DataTypes.BinaryType)) {
      image = imageField.name() + "." + BYTES;
    } else {
      problems.add(
          "column '"
              + imageField.name()
              + "' is "
              + imageField.dataType().simpleString()
              + ", not binary (PNG or JPEG bytes) or a struct with binary 'bytes'");
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot read Parquet input "
              + uri
              + ": "
              + String.join(", ", problems)
              + "; expected columns "
              + ParquetSampleReader.EXPECTED_SCHEMA
              + " (or image as Hugging Face's struct of bytes and path, label of any integer type,"
              + " no id: each row's position is its id)");
    }
    return new Columns(image, id != null);
  }

  private static StructField field(StructType schema, String column) {
    return Arrays.stream(schema.fields())
        .filter(f -> f.name().equals(column))
        .findFirst()
        .orElse(null);
  }

  private static String missing(StructType schema, String column) {
    return "it has no column '"
        + column
        + "' (columns: "
        + String.join(", ", schema.fieldNames())
        + ")";
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
