package dev.lethe.job.eval;

import dev.lethe.data.ImageShape;
import dev.lethe.data.Resize;
import dev.lethe.data.Sample;
import dev.lethe.eval.Stopwatch;
import dev.lethe.job.conf.LetheConf;
import dev.lethe.job.data.DataFormat;
import dev.lethe.job.data.InputShapes;
import dev.lethe.job.data.SampleReader;
import dev.lethe.job.model.ExecutorModel;
import dev.lethe.job.model.ModelArtifact;
import dev.lethe.job.model.TorchThreads;
import dev.lethe.model.Classifier;
import dev.lethe.model.ModelSpec;
import dev.lethe.model.SpecResolver;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures a model's accuracy on a labelled data set with Spark: the driver fetches the model,
 * resolves its spec (sidecar, options, else the data's image shape) and checks that it loads; the
 * samples are read and spread over the executors, each of which predicts its partitions with one
 * shared copy of the model (see {@link ExecutorModel}).
 *
 * <pre>
 * Evaluation.Result r = new Evaluation(spark).model("s3a://models/m.pt").data("s3a://data/test")
 *     .batchSize(256).execute();
 * </pre>
 */
public final class Evaluation {

  /** Spark job group of an evaluation, as shown in the Spark UI. */
  public static final String JOB_GROUP = "lethe-evaluate";

  private static final Logger LOG = LoggerFactory.getLogger(Evaluation.class);

  /** How many of the data's first images decide its input shape when nothing declares one. */
  private static final int SHAPE_PROBE = 64;

  private final SparkSession spark;
  private String model;
  private String data;
  private DataFormat format = DataFormat.AUTO;
  private String labels;
  private ImageShape inputShape;
  private List<String> classNames = List.of();
  private Resize resize;
  private int batchSize = LetheConf.BATCH_SIZE_DEFAULT;
  private int partitions;
  private int limit = SampleReader.NO_LIMIT;

  public Evaluation(SparkSession spark) {
    this.spark = Objects.requireNonNull(spark, "spark");
  }

  /** What an evaluation measured. */
  public record Result(
      String model,
      String modelSha256,
      String data,
      DataFormat format,
      ModelSpec spec,
      long samples,
      long correct,
      int batchSize,
      int partitions,
      double seconds,
      Set<String> devices) {

    public Result {
      devices = Set.copyOf(devices);
    }

    /** Fraction of samples predicted right. */
    public double accuracy() {
      return correct / (double) samples;
    }
  }

  /** The model: URI or path of a TorchScript .pt file (required). */
  public Evaluation model(String uri) {
    this.model = requireText(uri, "model URI");
    return this;
  }

  /** The labelled data set: URI or path (required). */
  public Evaluation data(String uri) {
    this.data = requireText(uri, "data URI");
    return this;
  }

  /** How the data is stored; {@link DataFormat#AUTO} (the default) detects it. */
  public Evaluation format(DataFormat value) {
    this.format = Objects.requireNonNull(value, "format");
    return this;
  }

  /** The IDX label file, when it is not named like the image file. */
  public Evaluation labels(String uri) {
    this.labels = uri;
    return this;
  }

  /** The model's input shape, when the model has no sidecar that gives it. */
  public Evaluation inputShape(ImageShape value) {
    this.inputShape = value;
    return this;
  }

  /** The model's class names in output order, when the model has no sidecar that gives them. */
  public Evaluation classNames(List<String> value) {
    this.classNames = value == null ? List.of() : List.copyOf(value);
    return this;
  }

  /**
   * The resize the model's image pipeline applies (torchvision's {@code Resize(size)} then {@code
   * CenterCrop} to the input size), when the model has no sidecar that declares it.
   */
  public Evaluation resize(Resize value) {
    this.resize = value;
    return this;
  }

  /** Images per forward pass on an executor. */
  public Evaluation batchSize(int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(
          "Cannot evaluate with batch size " + value + ": give 1 or more");
    }
    this.batchSize = value;
    return this;
  }

  /** Partitions to spread the samples over; 0 (the default): Spark's default parallelism. */
  public Evaluation partitions(int value) {
    if (value < 0) {
      throw new IllegalArgumentException(
          "Cannot evaluate in " + value + " partitions: give 1 or more");
    }
    this.partitions = value;
    return this;
  }

  /** Evaluates only the first {@code value} samples of the data set. */
  public Evaluation limit(int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(
          "Cannot evaluate the first " + value + " samples: give 1 or more");
    }
    this.limit = value;
    return this;
  }

  /**
   * Runs the evaluation.
   *
   * @throws IllegalArgumentException naming the input when the model or data is missing or unusable
   * @throws java.io.UncheckedIOException naming the input when it cannot be read
   * @throws org.apache.spark.SparkException (unchecked in Java) when a task fails; its cause names
   *     the sample
   */
  public Result execute() {
    if (model == null || data == null) {
      throw new IllegalStateException("Cannot evaluate: set both the model and the data");
    }
    long start = System.nanoTime();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    jsc.setJobGroup(JOB_GROUP, "Lethe: evaluate " + model + " on " + data, false);
    try (ModelArtifact artifact =
        ModelArtifact.fetch(model, spark.sparkContext().hadoopConfiguration())) {
      LOG.info(
          "Read model {} ({} bytes, sha256 {}{})",
          model,
          artifact.bytes().length,
          artifact.sha256(),
          artifact.sidecarUri().map(s -> ", sidecar " + s).orElse(""));
      SpecResolver.Partial sidecar = artifact.sidecar();
      SpecResolver.Partial shapeOption =
          SpecResolver.Partial.empty("option --input-shape").withInput(inputShape);
      SpecResolver.Partial namesOption =
          SpecResolver.Partial.empty("option --class-names")
              .withClassNames(classNames.isEmpty() ? null : classNames);
      SpecResolver.Partial resizeOption =
          SpecResolver.Partial.empty("option --resize").withResize(resize);
      SpecResolver.Partial options = SpecResolver.merge(shapeOption, namesOption, resizeOption);
      SpecResolver.Partial known =
          SpecResolver.merge(sidecar, shapeOption, namesOption, resizeOption);

      SampleReader reader =
          new SampleReader(spark)
              .format(format)
              .labels(labels)
              .partitions(partitions)
              .classNames(known.classNames())
              .resize(known.resize(), known.input());
      if (limit != SampleReader.NO_LIMIT) {
        reader.limit(limit);
      }
      SampleReader.Result samples = reader.read(data);
      LOG.info("Reading {}", samples.description());

      SpecResolver.Partial fromData = null;
      if (known.input() == null) {
        // the most common shape of the first images, so that one odd image is named, not obeyed
        List<Sample> head = samples.samples().take(SHAPE_PROBE);
        if (head.isEmpty()) {
          throw noSamples(data);
        }
        fromData = InputShapes.implied(head, known.resize(), "data " + data);
      }
      TorchThreads.configure(jsc.getConf());
      ModelSpec spec;
      InputShapes.Inferred inferred = InputShapes.load(artifact, options, fromData, false);
      try (Classifier classifier = inferred.classifier()) {
        spec = classifier.spec();
      }
      fromData = inferred.fromData();
      for (String line :
          SpecResolver.describe(spec, sidecar, shapeOption, namesOption, resizeOption, fromData)) {
        LOG.info("Model {}: {}", model, line);
      }

      ExecutorModel executorModel = ExecutorModel.broadcast(jsc, artifact, spec);
      DistributedAccuracy.Result counts;
      try {
        counts = DistributedAccuracy.evaluate(samples.samples(), executorModel, batchSize);
      } finally {
        executorModel.release();
      }
      if (counts.samples() == 0) {
        throw noSamples(data);
      }
      double seconds = Stopwatch.secondsSince(start);
      LOG.info(
          "Accuracy of {} on {}: {} of {} = {} ({} s)",
          model,
          data,
          counts.correct(),
          counts.samples(),
          counts.accuracy(),
          String.format("%.1f", seconds));
      return new Result(
          model,
          artifact.sha256(),
          data,
          samples.format(),
          spec,
          counts.samples(),
          counts.correct(),
          batchSize,
          samples.samples().getNumPartitions(),
          seconds,
          counts.devices());
    } finally {
      jsc.clearJobGroup();
    }
  }

  private static String requireText(String value, String what) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("Cannot evaluate: the " + what + " is empty; give one");
    }
    return value;
  }

  private static IllegalArgumentException noSamples(String data) {
    return new IllegalArgumentException(
        "Cannot evaluate on data " + data + ": it holds no samples; give a non-empty data set");
  }
}
