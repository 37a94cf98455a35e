package dev.lethe.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;

/**
 * Reads a Parquet table of labelled images: columns {@code id} (string), {@code label} (int32) and
 * {@code image} (binary: PNG or JPEG bytes); other columns are ignored. The path may be a single
 * file or a directory of part files as Spark writes them (files ending in .parquet; names starting
 * with '_' or '.', such as _SUCCESS and .crc files, are skipped). Works on any Hadoop file system.
 *
 * <p>A missing column, a column of the wrong type, a null value or a corrupt file throws {@link
 * IllegalArgumentException} naming the file; a file that cannot be opened throws {@link
 * UncheckedIOException} naming it.
 */
public final class ParquetSampleReader {

  /** The expected schema in words, quoted in error messages. */
  public static final String EXPECTED_SCHEMA =
      "id: string (BINARY UTF8), label: int32 (INT32), image: binary (BINARY, PNG or JPEG bytes)";

  private ParquetSampleReader() {}

  /** One row before decoding: the id, the label and the encoded image bytes. */
  public record Row(String id, int label, byte[] image) {}

  /**
   * Reads and decodes every row of a Parquet file or a directory of part files, in file-name order
   * and row order.
   */
  public static List<Sample> read(Path path, Configuration conf) {
    List<Sample> samples = new ArrayList<>();
    for (Path file : partFiles(path, conf)) {
      readFile(
          file,
          conf,
          row -> {
            try {
              samples.add(ImageDecoder.decode(row.id(), row.label(), row.image()));
            } catch (IllegalArgumentException e) {
              throw new IllegalArgumentException(
                  "Cannot read Parquet file "
                      + file
                      + ": the image of row "
                      + row.id()
                      + " does not decode ("
                      + e.getMessage()
                      + ")",
                  e);
            }
          });
    }
    return samples;
  }

  /** Reads every row without decoding the images. */
  public static List<Row> readRows(Path path, Configuration conf) {
    List<Row> rows = new ArrayList<>();
    forEachRow(path, conf, rows::add);
    return rows;
  }

  /** Passes every row of a file or a directory of part files to {@code action}, in order. */
  public static void forEachRow(Path path, Configuration conf, Consumer<Row> action) {
    for (Path file : partFiles(path, conf)) {
      readFile(file, conf, action);
    }
  }

  /**
   * The Parquet files a path stands for: the path itself when it is a file, else its part files
   * (names ending in .parquet, not starting with '_' or '.') sorted by name.
   *
   * @throws IllegalArgumentException naming a directory that holds no part files
   * @throws UncheckedIOException naming a path that does not exist or cannot be listed
   */
  public static List<Path> partFiles(Path path, Configuration conf) {
    try {
      FileSystem fs = path.getFileSystem(conf);
      FileStatus status = fs.getFileStatus(path);
      if (!status.isDirectory()) {
        return List.of(path);
      }
      List<Path> files = new ArrayList<>();
      FileStatus[] children = fs.listStatus(path);
      Arrays.sort(children, Comparator.comparing(s -> s.getPath().getName()));
      for (FileStatus child : children) {
        String name = child.getPath().getName();
        if (child.isFile()
            && name.endsWith(".parquet")
            && !name.startsWith("_")
            && !name.startsWith(".")) {
          files.add(child.getPath());
        }
      }
      if (files.isEmpty()) {
        throw new IllegalArgumentException(
            "Cannot read Parquet directory "
                + path
                + ": it holds no part files ending in .parquet; give a Parquet file or a directory"
                + " of part files");
      }
      return files;
    } catch (FileNotFoundException e) {
      throw new UncheckedIOException(
          "Cannot read Parquet input " + path + ": it does not exist; check the path", e);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot list Parquet input " + path + ": " + e + "; check the path and permissions", e);
    }
  }

  /**
   * Checks that a file schema has the columns {@code id}, {@code label} and {@code image} with the
   * right types, and returns the projection that reads just those columns.
   *
   * @param file names the file in error messages
   */
  public static MessageType projection(MessageType schema, String file) {
    Type id = column(schema, ParquetSampleWriter.ID, PrimitiveTypeName.BINARY, file);
    Type label = column(schema, ParquetSampleWriter.LABEL, PrimitiveTypeName.INT32, file);
    Type image = column(schema, ParquetSampleWriter.IMAGE, PrimitiveTypeName.BINARY, file);
    return new MessageType(schema.getName(), id, label, image);
  }

  private static void readFile(Path file, Configuration conf, Consumer<Row> action) {
    MessageType projection = projection(fileSchema(file, conf), file.toString());
    Configuration readConf = new Configuration(conf);
    readConf.set(ReadSupport.PARQUET_READ_SCHEMA, projection.toString());
    try (ParquetReader<Group> reader =
        ParquetReader.builder(new GroupReadSupport(), file).withConf(readConf).build()) {
      for (long rowIndex = 0; ; rowIndex++) {
        Group group;
        try {
          group = reader.read();
        } catch (IOException | RuntimeException e) {
          throw corrupt(file, "row " + rowIndex + " is unreadable (" + e + ")", e);
        }
        if (group == null) {
          return;
        }
        action.accept(toRow(group, file, rowIndex));
      }
    } catch (IOException e) {
      throw corrupt(file, "it cannot be opened or closed (" + e + ")", e);
    }
  }

  private static IllegalArgumentException corrupt(Path file, String reason, Exception cause) {
    return new IllegalArgumentException(
        "Cannot read Parquet file "
            + file
            + ": "
            + reason
            + "; the file is corrupt, write it again",
        cause);
  }

  private static MessageType fileSchema(Path file, Configuration conf) {
    try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
      return reader.getFooter().getFileMetaData().getSchema();
    } catch (FileNotFoundException e) {
      throw new UncheckedIOException(
          "Cannot read Parquet file " + file + ": it does not exist; check the path", e);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "Cannot read Parquet file "
              + file
              + ": it is not a readable Parquet file ("
              + e.getMessage()
              + "); give a Parquet file with columns "
              + EXPECTED_SCHEMA,
          e);
    }
  }

  private static Type column(
      MessageType schema, String name, PrimitiveTypeName expected, String file) {
    if (!schema.containsField(name)) {
      throw new IllegalArgumentException(
          "Cannot read Parquet file "
              + file
              + ": it has no column '"
              + name
              + "' (its schema: "
              + oneLine(schema)
              + "); give a table with columns "
              + EXPECTED_SCHEMA);
    }
    Type type = schema.getType(name);
    if (!type.isPrimitive()
        || type.asPrimitiveType().getPrimitiveTypeName() != expected
        || type.isRepetition(Type.Repetition.REPEATED)) {
      throw new IllegalArgumentException(
          "Cannot read Parquet file "
              + file
              + ": column '"
              + name
              + "' is "
              + oneLine(type)
              + " but must be a single "
              + expected
              + "; give a table with columns "
              + EXPECTED_SCHEMA
              + (expected == PrimitiveTypeName.INT32 ? " (e.g. cast the label to int)" : ""));
    }
    return type;
  }

  private static Row toRow(Group group, Path file, long rowIndex) {
    for (String name :
        List.of(ParquetSampleWriter.ID, ParquetSampleWriter.LABEL, ParquetSampleWriter.IMAGE)) {
      if (group.getFieldRepetitionCount(name) == 0) {
        throw new IllegalArgumentException(
            "Cannot read Parquet file "
                + file
                + ": row "
                + rowIndex
                + " has no value in column '"
                + name
                + "'; drop rows with nulls before writing");
      }
    }
    return new Row(
        group.getString(ParquetSampleWriter.ID, 0),
        group.getInteger(ParquetSampleWriter.LABEL, 0),
        group.getBinary(ParquetSampleWriter.IMAGE, 0).getBytes());
  }

  private static String oneLine(Object schema) {
    return schema.toString().replaceAll("\\s+", " ").trim();
  }
}
