package dev.lethe.job.data;

import dev.lethe.data.ClassIndex;
import dev.lethe.data.IdxReader;
import dev.lethe.data.ImageDecoder;
import dev.lethe.data.ImageFolderReader;
import dev.lethe.data.ParquetSampleReader;
import dev.lethe.data.ParquetSampleWriter;
import dev.lethe.data.Sample;
import dev.lethe.job.failure.FailureMessages;
import dev.lethe.job.storage.SerializableHadoopConf;
import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * Reads a labelled image data set into an RDD of {@link Sample}s spread over the executors. Every
 * path goes through Hadoop's FileSystem (s3a://, file://, hdfs:// or a plain path).
 *
 * <ul>
 *   <li>IDX: the image and label files are read and checked on the driver, then shipped to the
 *       executors as one broadcast of their stored bytes, each partition decoding its index range;
 *   <li>Parquet: {@code spark.read().parquet}, images decoded on the executors;
 *   <li>image folder: the driver lists {@code root/<class>/**} and checks every class folder
 *       against a {@link ClassIndex}; executors read and decode the files. (Not {@code
 *       binaryFiles}: its PortableDataStream serialises the whole Hadoop configuration once per
 *       file, about 20 ms each, so 500 small images took 10 s just to list.)
 * </ul>
 *
 * <p>{@link DataFormat#AUTO} picks IDX when a label file is given; for a file, Parquet by its
 * {@code PAR1} magic or {@code .parquet} name, IDX by its gzip or IDX magic; for a folder, Parquet
 * when it holds {@code .parquet} part files, an image folder when it holds class folders.
 *
 * <p>Sample ids are those of the single-JVM readers in lethe-common, so results can be compared:
 * {@code <prefix>/<index>} for IDX, the {@code id} column for Parquet, the path relative to the
 * root for image folders.
 */
public final class SampleReader {

  /** Value of {@link #limit(int)} that reads every sample. */
  public static final int NO_LIMIT = Integer.MAX_VALUE;

  private final SparkSession spark;
  private DataFormat format = DataFormat.AUTO;
  private String labels;
  private List<String> classNames = List.of();
  private int limit = NO_LIMIT;
  private int partitions;

  public SampleReader(SparkSession spark) {
    this.spark = Objects.requireNonNull(spark, "spark");
  }

  /** What {@link #read} returns: the samples, the format read, and a description for logs. */
  public record Result(JavaRDD<Sample> samples, DataFormat format, String description) {}

  /** The storage format; {@link DataFormat#AUTO} (the default) detects it. */
  public SampleReader format(DataFormat value) {
    this.format = Objects.requireNonNull(value, "format");
    return this;
  }

  /**
   * The IDX label file; by default the image file's name with {@code images-idx3} replaced by
   * {@code labels-idx1}. Only for IDX data.
   */
  public SampleReader labels(String uri) {
    this.labels = uri;
    return this;
  }

  /** The model's class names in output order, to label class folders; empty when unknown. */
  public SampleReader classNames(List<String> value) {
    this.classNames = value == null ? List.of() : List.copyOf(value);
    return this;
  }

  /** Reads only the first {@code value} samples (in the input's order). */
  public SampleReader limit(int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(
          "Cannot limit the samples to " + value + ": give 1 or more");
    }
    this.limit = value;
    return this;
  }

  /** The number of partitions to spread the samples over; 0 (the default): Spark's parallelism. */
  public SampleReader partitions(int value) {
    if (value < 0) {
      throw new IllegalArgumentException(
          "Cannot spread the samples over " + value + " partitions: give 1 or more");
    }
    this.partitions = value;
    return this;
  }

  /**
   * Reads the data set at {@code uri}. IDX files are read at once; other formats are checked on the
   * driver (existence, schema, class folders) and decoded lazily on the executors.
   *
   * @throws IllegalArgumentException naming the input when it is missing, of another format, or
   *     malformed
   * @throws UncheckedIOException naming the input when it cannot be read
   */
  public Result read(String uri) {
    Path path = new Path(uri);
    FileSystem fs = fileSystem(path, uri);
    FileStatus status = status(fs, path, "data", uri);
    DataFormat actual = format == DataFormat.AUTO ? detect(fs, status, uri) : format;
    if (labels != null && actual != DataFormat.IDX) {
      throw new IllegalArgumentException(
          "Cannot read data "
              + uri
              + " as "
              + actual.cliName()
              + ": a label file ("
              + labels
              + ") is only used with IDX data; drop --labels or give --format idx");
    }
    return switch (actual) {
      case IDX -> readIdx(fs, path, uri);
      case PARQUET -> readParquet(uri);
      case FOLDER -> readFolder(fs, status, uri);
      case AUTO -> throw new IllegalStateException("unreachable");
    };
  }

  private DataFormat detect(FileSystem fs, FileStatus status, String uri) {
    if (labels != null) {
      return DataFormat.IDX;
    }
    if (status.isFile()) {
      if (status.getPath().getName().toLowerCase(Locale.ROOT).endsWith(".parquet")) {
        return DataFormat.PARQUET;
      }
      byte[] head = new byte[4];
      int n = 0;
      try (InputStream in = fs.open(status.getPath())) {
        while (n < head.length) {
          int r = in.read(head, n, head.length - n);
          if (r < 0) {
            break;
          }
          n += r;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(
            "Cannot read data " + uri + ": " + e + "; check the path and its permissions", e);
      }
      if (n == 4 && new String(head, StandardCharsets.US_ASCII).equals("PAR1")) {
        return DataFormat.PARQUET;
      }
      if (n >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
        return DataFormat.IDX;
      }
      if (n == 4 && head[0] == 0 && head[1] == 0 && head[2] == 0x08) {
        return DataFormat.IDX;
      }
      throw new IllegalArgumentException(
          "Cannot detect the format of data "
              + uri
              + ": it is a file but neither Parquet nor IDX (gzipped or raw); give --format"
              + " idx|folder|parquet, or the right file");
    }
    boolean classFolders = false;
    for (FileStatus child : list(fs, status.getPath(), uri)) {
      String name = child.getPath().getName();
      if (name.startsWith(".") || name.startsWith("_")) {
        continue;
      }
      if (child.isFile() && name.endsWith(".parquet")) {
        return DataFormat.PARQUET;
      }
      classFolders |= child.isDirectory();
    }
    if (classFolders) {
      return DataFormat.FOLDER;
    }
    throw new IllegalArgumentException(
        "Cannot detect the format of data folder "
            + uri
            + ": it holds neither .parquet part files nor class folders (root/<class>/<image>.png);"
            + " give --format idx|folder|parquet, or the right folder");
  }

  private Result readIdx(FileSystem fs, Path images, String uri) {
    String labelsUri = labels != null ? labels : derivedLabels(images, uri);
    Path labelsPath = new Path(labelsUri);
    FileSystem labelsFs = fileSystem(labelsPath, labelsUri);
    IdxFiles files =
        new IdxFiles(
            readAll(fs, images, "IDX image file", uri),
            uri,
            readAll(labelsFs, labelsPath, "IDX label file", labelsUri),
            labelsUri,
            IdxReader.prefixOf(images.getName()));
    // Read everything once on the driver: a corrupt file fails here, before any task runs.
    int count = files.read(0, limit).size();
    if (count == 0) {
      throw new IllegalArgumentException(
          "Cannot use data " + uri + ": it holds no images; give a non-empty data set");
    }
    // Tasks carry index ranges; the (compressed) files go to each executor once as a broadcast,
    // rather than every decoded image inside the tasks.
    JavaSparkContext jsc = jsc();
    int target = Math.min(count, partitions > 0 ? partitions : jsc.defaultParallelism());
    List<int[]> ranges = new ArrayList<>(target);
    for (int i = 0; i < target; i++) {
      ranges.add(
          new int[] {(int) ((long) count * i / target), (int) ((long) count * (i + 1) / target)});
    }
    Broadcast<IdxFiles> shipped = jsc.broadcast(files);
    JavaRDD<Sample> rdd =
        jsc.parallelize(ranges, target)
            .flatMap(range -> shipped.value().read(range[0], range[1] - range[0]).iterator());
    return new Result(
        rdd, DataFormat.IDX, count + " IDX images from " + uri + " with labels " + labelsUri);
  }

  /** The bytes of an IDX image file and its label file, as stored (gzipped or raw). */
  private record IdxFiles(
      byte[] images, String imagesUri, byte[] labels, String labelsUri, String prefix)
      implements Serializable {

    List<Sample> read(int offset, int count) {
      return IdxReader.read(
          new ByteArrayInputStream(images),
          imagesUri,
          new ByteArrayInputStream(labels),
          labelsUri,
          prefix,
          offset,
          count);
    }
  }

  private static String derivedLabels(Path images, String uri) {
    String name = images.getName();
    if (!name.contains("images-idx3")) {
      throw new IllegalArgumentException(
          "Cannot find the label file of IDX images "
              + uri
              + ": its name has no 'images-idx3' to derive the label file name from; give --labels");
    }
    return new Path(images.getParent(), name.replace("images-idx3", "labels-idx1")).toString();
  }

  private Result readParquet(String uri) {
    Dataset<Row> table;
    try {
      table = spark.read().parquet(uri);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "Cannot read Parquet input "
              + uri
              + ": "
              + FailureMessages.firstLine(e.getMessage())
              + "; give a Parquet file or a directory of part files",
          e);
    }
    checkSchema(table.schema(), uri);
    JavaRDD<Row> rows =
        table
            .select(ParquetSampleWriter.ID, ParquetSampleWriter.LABEL, ParquetSampleWriter.IMAGE)
            .javaRDD();
    if (limit != NO_LIMIT) {
      long max = limit;
      rows = rows.zipWithIndex().filter(t -> t._2() < max).map(Tuple2::_1);
    }
    rows = spread(rows);
    JavaRDD<Sample> samples = rows.map(row -> decodeRow(uri, row));
    return new Result(samples, DataFormat.PARQUET, "Parquet table " + uri);
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

  private Result readFolder(FileSystem fs, FileStatus status, String uri) {
    if (!status.isDirectory()) {
      throw new IllegalArgumentException(
          "Cannot read image folder "
              + uri
              + ": it is not a folder; give a folder laid out as root/<class>/<image>.png");
    }
    String root = fs.makeQualified(status.getPath()).toString();
    List<String> files = new ArrayList<>();
    // listStatus, not listFiles: the local file system's LocatedFileStatus forks `ls` per file for
    // its permissions (about 5 ms each).
    ArrayDeque<Path> folders = new ArrayDeque<>(List.of(status.getPath()));
    while (!folders.isEmpty()) {
      Path folder = folders.pop();
      boolean top = folder.equals(status.getPath());
      for (FileStatus child : list(fs, folder, uri)) {
        String name = child.getPath().getName();
        if (child.isDirectory() && !(top && name.startsWith("."))) {
          folders.push(child.getPath());
        } else if (child.isFile()) {
          String file = fs.makeQualified(child.getPath()).toString();
          if (relativeId(root, file) != null) {
            files.add(file);
          }
        }
      }
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot read image folder "
              + uri
              + ": it holds no .png, .jpg or .jpeg files in class folders; lay it out as"
              + " root/<class>/<image>.png");
    }
    files.sort(Comparator.comparing(file -> relativeId(root, file)));
    Set<String> classFolders = new TreeSet<>();
    for (String file : files) {
      classFolders.add(classOf(root, file));
    }
    ClassIndex index = ClassIndex.resolve(uri, classFolders, classNames);
    if (files.size() > limit) {
      files = new ArrayList<>(files.subList(0, limit));
    }
    JavaSparkContext jsc = jsc();
    int target = partitions > 0 ? partitions : jsc.defaultParallelism();
    Broadcast<SerializableHadoopConf> conf =
        jsc.broadcast(new SerializableHadoopConf(jsc.hadoopConfiguration()));
    JavaRDD<Sample> samples =
        jsc.parallelize(files, Math.min(target, files.size()))
            .mapPartitions(part -> decodeFiles(root, uri, index, conf.value().get(), part));
    return new Result(
        samples,
        DataFormat.FOLDER,
        files.size() + " images in " + classFolders.size() + " class folders under " + uri);
  }

  private static Iterator<Sample> decodeFiles(
      String root, String uri, ClassIndex index, Configuration conf, Iterator<String> files) {
    List<Sample> out = new ArrayList<>();
    while (files.hasNext()) {
      String file = files.next();
      String id = relativeId(root, file);
      String className = id.substring(0, id.indexOf('/'));
      Path path = new Path(file);
      byte[] bytes;
      try (InputStream in = path.getFileSystem(conf).open(path)) {
        bytes = in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(
            "Cannot read image file " + file + ": " + e + "; check its permissions", e);
      }
      try {
        out.add(ImageDecoder.decode(id, index.indexOf(className), bytes));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "Cannot read image folder " + uri + ": " + e.getMessage(), e);
      }
    }
    return out.iterator();
  }

  /**
   * The id of an image file in an image folder: its path relative to the root with '/' separators,
   * or null for files that are not images in a class folder.
   */
  static String relativeId(String root, String file) {
    if (!file.startsWith(root + "/")) {
      return null;
    }
    String id = file.substring(root.length() + 1);
    int slash = id.indexOf('/');
    if (slash <= 0 || id.startsWith(".")) {
      return null;
    }
    String name = id.substring(id.lastIndexOf('/') + 1);
    return ImageFolderReader.isImageName(name) ? id : null;
  }

  /** The class folder of an image file in an image folder, or null (see {@link #relativeId}). */
  static String classOf(String root, String file) {
    String id = relativeId(root, file);
    return id == null ? null : id.substring(0, id.indexOf('/'));
  }

  private <T> JavaRDD<T> spread(JavaRDD<T> rdd) {
    if (partitions > 0) {
      return rdd.getNumPartitions() == partitions ? rdd : rdd.repartition(partitions);
    }
    int parallelism = jsc().defaultParallelism();
    return rdd.getNumPartitions() < parallelism ? rdd.repartition(parallelism) : rdd;
  }

  private JavaSparkContext jsc() {
    return JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  private FileSystem fileSystem(Path path, String uri) {
    try {
      return path.getFileSystem(spark.sparkContext().hadoopConfiguration());
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "Cannot read data "
              + uri
              + ": no file system for it ("
              + FailureMessages.firstLine(e.getMessage())
              + "); give an s3a://, file:// or hdfs:// URI or a path",
          e);
    }
  }

  private static FileStatus status(FileSystem fs, Path path, String what, String uri) {
    try {
      return fs.getFileStatus(path);
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException(
          "Cannot read " + what + " " + uri + ": it does not exist; check the path", e);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read " + what + " " + uri + ": " + e + "; check the path and its permissions", e);
    }
  }

  private static FileStatus[] list(FileSystem fs, Path path, String uri) {
    try {
      return fs.listStatus(path);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot list data folder " + path + ": " + e + "; check its permissions", e);
    }
  }

  private static byte[] readAll(FileSystem fs, Path path, String what, String uri) {
    try (InputStream in = fs.open(path)) {
      return in.readAllBytes();
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException(
          "Cannot read " + what + " " + uri + ": it does not exist; check the path", e);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read " + what + " " + uri + ": " + e + "; check the path and its permissions", e);
    }
  }
}
