package dev.lethe.job.data;

import dev.lethe.data.ClassIndex;
import dev.lethe.data.ImageShape;
import dev.lethe.data.Resize;
import dev.lethe.data.Sample;
import dev.lethe.model.ModelSpec;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;

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
  private Resize resize;
  private ImageShape input;

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
   * The resize the model's pipeline applies (null: none), done on the executors as each image is
   * decoded ({@link Resize#toSize}), so that a folder of photos reaches the driver, and stays in
   * memory, at the size the model takes rather than its own; {@code input} is the model's input
   * shape when known (images at its size are left as they are), else null.
   */
  public SampleReader resize(Resize value, ImageShape input) {
    this.resize = value;
    this.input = input;
    return this;
  }

  /**
   * Reads data for the model of {@code spec}: an image folder's classes by its class names, each
   * image resized as it is read when the spec declares a resize ({@link #resize}).
   */
  public SampleReader forModel(ModelSpec spec) {
    return classNames(spec.classNames()).resize(spec.resize(), spec.input());
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
    ReadOptions o = new ReadOptions(spark, labels, classNames, limit, partitions);
    FileSystem fs = o.fileSystem(path, uri);
    FileStatus status = DataFiles.status(fs, path, "data", uri);
    DataFormat actual =
        format == DataFormat.AUTO ? FormatDetector.detect(fs, status, uri, labels != null) : format;
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
    Result read =
        switch (actual) {
          case IDX -> IdxInput.read(o, fs, path, uri);
          case PARQUET -> ParquetInput.read(o, uri);
          case FOLDER -> ImageFolderInput.read(o, fs, status, uri);
          case AUTO -> throw new IllegalStateException("unreachable");
        };
    if (resize == null) {
      return read;
    }
    Resize r = resize;
    ImageShape at = input;
    return new Result(read.samples().map(s -> r.toSize(s, at)), read.format(), read.description());
  }
}
