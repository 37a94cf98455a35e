package dev.lethe.data;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;

/**
 * Writes a Parquet file of labelled images with the columns {@code id} (string), {@code label}
 * (int32) and {@code image} (binary: PNG or JPEG bytes), the table {@link ParquetSampleReader}
 * reads. Works on any Hadoop file system (file:, hdfs:, s3a:). Columns are not compressed: PNG and
 * JPEG bytes are compressed already.
 *
 * <pre>{@code
 * try (ParquetSampleWriter writer = ParquetSampleWriter.create(path, conf)) {
 *   for (Sample s : samples) writer.write(s);
 * }
 * }</pre>
 */
public final class ParquetSampleWriter implements Closeable {

  /** Name of the column of sample ids (string). */
  public static final String ID = "id";

  /** Name of the column of class indices (int32). */
  public static final String LABEL = "label";

  /** Name of the column of encoded images (binary, PNG or JPEG bytes). */
  public static final String IMAGE = "image";

  /** The schema written; readers also accept optional columns and extra columns. */
  public static final MessageType SCHEMA =
      Types.buildMessage()
          .required(PrimitiveTypeName.BINARY)
          .as(LogicalTypeAnnotation.stringType())
          .named(ID)
          .required(PrimitiveTypeName.INT32)
          .named(LABEL)
          .required(PrimitiveTypeName.BINARY)
          .named(IMAGE)
          .named("sample");

  private final Path path;
  private final ParquetWriter<Group> writer;
  private final SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
  private long rows;

  private ParquetSampleWriter(Path path, ParquetWriter<Group> writer) {
    this.path = path;
    this.writer = writer;
  }

  /**
   * Opens a new Parquet file for writing.
   *
   * @param overwrite whether to replace an existing file
   * @throws UncheckedIOException naming the file when it exists (and overwrite is false) or cannot
   *     be created
   */
  public static ParquetSampleWriter create(Path path, Configuration conf, boolean overwrite) {
    try {
      ParquetWriter<Group> writer =
          ExampleParquetWriter.builder(HadoopOutputFile.fromPath(path, conf))
              .withConf(conf)
              .withType(SCHEMA)
              .withCompressionCodec(CompressionCodecName.UNCOMPRESSED)
              .withWriteMode(
                  overwrite ? ParquetFileWriter.Mode.OVERWRITE : ParquetFileWriter.Mode.CREATE)
              .build();
      return new ParquetSampleWriter(path, writer);
    } catch (FileAlreadyExistsException e) {
      throw new UncheckedIOException(
          "Cannot write Parquet file " + path + ": it exists already; remove it or write elsewhere",
          e);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot create Parquet file " + path + ": " + e + "; check the path and permissions", e);
    }
  }

  /** Opens a new Parquet file for writing; refuses to replace an existing file. */
  public static ParquetSampleWriter create(Path path, Configuration conf) {
    return create(path, conf, false);
  }

  /**
   * Writes all samples, encoded as PNG, to a new file.
   *
   * @return the number of rows written
   */
  public static long write(Path path, Configuration conf, Iterable<Sample> samples) {
    try (ParquetSampleWriter writer = create(path, conf)) {
      for (Sample sample : samples) {
        writer.write(sample);
      }
      return writer.rows();
    }
  }

  /** Writes one sample, encoded as PNG (see {@link ImageEncoder#png}). */
  public void write(Sample sample) {
    write(sample.id(), sample.label(), ImageEncoder.png(sample));
  }

  /** Writes one row of already encoded image bytes (PNG or JPEG). */
  public void write(String id, int label, byte[] image) {
    Group row =
        groups
            .newGroup()
            .append(ID, id)
            .append(LABEL, label)
            .append(IMAGE, Binary.fromConstantByteArray(image));
    try {
      writer.write(row);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot write row " + id + " to Parquet file " + path + ": " + e, e);
    }
    rows++;
  }

  /** The number of rows written so far. */
  public long rows() {
    return rows;
  }

  /** Finishes the file (writes the footer). */
  @Override
  public void close() {
    try {
      writer.close();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot finish Parquet file " + path + ": " + e + "; check free space and permissions",
          e);
    }
  }
}
