package dev.lethe.job.cli;

import dev.lethe.data.ClassIndex;
import dev.lethe.job.conf.LetheConf;
import dev.lethe.job.data.DataFormat;
import dev.lethe.job.eval.Evaluation;
import dev.lethe.job.failure.UsageException;
import dev.lethe.job.report.Seconds;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * {@code lethe evaluate}: the accuracy of a model on a labelled data set, computed on the
 * executors.
 */
public final class EvaluateCommand implements Command {

  static final String MODEL = "--model";
  static final String DATA = "--data";
  static final String FORMAT = "--format";
  static final String LABELS = "--labels";
  static final String INPUT_SHAPE = "--input-shape";
  static final String CLASS_NAMES = "--class-names";
  static final String BATCH_SIZE = "--batch-size";
  static final String PARTITIONS = "--partitions";
  static final String LIMIT = "--limit";

  @Override
  public String name() {
    return "evaluate";
  }

  @Override
  public String summary() {
    return "accuracy of a model on a labelled data set, computed on the executors";
  }

  @Override
  public List<OptionSpec> options(LetheConf defaults) {
    return List.of(
        new OptionSpec(
            MODEL, "URI", null, "TorchScript .pt model (s3a://, file:// or a path); sidecar .json"),
        new OptionSpec(DATA, "URI", null, "labelled data: IDX image file, image folder or Parquet"),
        new OptionSpec(FORMAT, "FMT", "auto", "auto|idx|folder|parquet"),
        new OptionSpec(
            LABELS, "URI", "images-idx3 -> labels-idx1", "IDX label file (idx format only)"),
        new OptionSpec(INPUT_SHAPE, "C,H,W", "sidecar, else the data", "model input shape"),
        new OptionSpec(
            CLASS_NAMES, "A,B,..", "sidecar, else folder names are indices", "model class names"),
        new OptionSpec(
            BATCH_SIZE,
            "N",
            defaults.batchSize() + " (" + LetheConf.BATCH_SIZE + ")",
            "images per forward pass"),
        new OptionSpec(PARTITIONS, "N", "Spark's default parallelism", "partitions to evaluate in"),
        new OptionSpec(LIMIT, "N", "all", "evaluate only the first N samples"));
  }

  @Override
  public void validate(ParsedOptions options) {
    DataFormat format = options.get(FORMAT).map(v -> DataFormat.parse(name(), v)).orElse(null);
    if (options.get(LABELS).isPresent()
        && format != null
        && format != DataFormat.AUTO
        && format != DataFormat.IDX) {
      throw new UsageException(
          "Cannot run evaluate: option "
              + LABELS
              + " is only for IDX data but "
              + FORMAT
              + " is "
              + format.cliName()
              + "; drop "
              + LABELS
              + " or give "
              + FORMAT
              + " idx");
    }
    options.imageShape(INPUT_SHAPE);
    classNames(options);
    options.positiveInt(BATCH_SIZE);
    options.positiveInt(PARTITIONS);
    options.positiveInt(LIMIT);
  }

  @Override
  public Map<String, Object> run(SparkSession spark, ParsedOptions options, LetheConf conf) {
    validate(options);
    Evaluation evaluation =
        new Evaluation(spark)
            .model(options.required(MODEL))
            .data(options.required(DATA))
            .format(
                options.get(FORMAT).map(v -> DataFormat.parse(name(), v)).orElse(DataFormat.AUTO))
            .labels(options.get(LABELS).orElse(null))
            .inputShape(options.imageShape(INPUT_SHAPE).orElse(null))
            .classNames(classNames(options))
            .batchSize(options.positiveInt(BATCH_SIZE).orElse(conf.batchSize()))
            .partitions(options.positiveInt(PARTITIONS).orElse(0));
    options.positiveInt(LIMIT).ifPresent(evaluation::limit);
    Evaluation.Result result = evaluation.execute();
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("model", result.model());
    fields.put("model_sha256", result.modelSha256());
    fields.put("data", result.data());
    fields.put("format", result.format().cliName());
    fields.put("samples", result.samples());
    fields.put("correct", result.correct());
    fields.put("accuracy", result.accuracy());
    fields.put("batch_size", result.batchSize());
    fields.put("partitions", result.partitions());
    fields.put("seconds", Seconds.round(result.seconds()));
    fields.put("device", String.join(",", result.devices()));
    return fields;
  }

  private static List<String> classNames(ParsedOptions options) {
    String value = options.get(CLASS_NAMES).orElse(null);
    if (value == null) {
      return List.of();
    }
    try {
      return ClassIndex.parseClassNames(value);
    } catch (IllegalArgumentException e) {
      throw new UsageException(
          "Cannot run evaluate: option " + CLASS_NAMES + " is '" + value + "': " + e.getMessage());
    }
  }
}
