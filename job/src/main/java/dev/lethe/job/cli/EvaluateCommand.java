package dev.lethe.job.cli;

import dev.lethe.job.actions.LetheActions;
import dev.lethe.job.conf.LetheConf;
import dev.lethe.job.data.DataFormat;
import dev.lethe.job.eval.Evaluation;
import dev.lethe.job.report.Seconds;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lethe evaluate}: the accuracy of a model on a labelled data set, computed on the
 * executors.
 */
@Command(
    name = "evaluate",
    description = "accuracy of a model on a labelled data set, computed on the executors")
public final class EvaluateCommand implements JobCommand {

  private static final String NAME = "evaluate";

  @Option(
      names = "--model",
      paramLabel = "URI",
      required = true,
      description =
          "TorchScript .pt model (s3a://, file:// or a path); its sidecar, if any, is"
              + " <name>.lethe.json next to it (required)")
  String model;

  @Option(
      names = "--data",
      paramLabel = "URI",
      required = true,
      description = "labelled data: IDX image file, image folder or Parquet (required)")
  String data;

  @Option(
      names = "--format",
      paramLabel = "FMT",
      description = "auto|idx|folder|parquet (default: auto)")
  String format;

  @Option(
      names = "--labels",
      paramLabel = "URI",
      description = "IDX label file (idx format only) (default: images-idx3 -> labels-idx1)")
  String labels;

  @Option(
      names = "--input-shape",
      paramLabel = "C,H,W",
      description = "model input shape (default: sidecar, else the data)")
  String inputShape;

  @Option(
      names = "--class-names",
      paramLabel = "A,B,..",
      description = OptionValues.CLASS_NAMES_HELP)
  String classNames;

  @Option(names = "--resize", paramLabel = "S|H,W", description = OptionValues.RESIZE_HELP)
  String resize;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      description = "images per forward pass (default: " + LetheHelp.BATCH_SIZE_DEFAULT + ")")
  String batchSize;

  @Option(
      names = "--partitions",
      paramLabel = "N",
      description = "partitions to evaluate in (default: Spark's default parallelism)")
  String partitions;

  @Option(
      names = "--limit",
      paramLabel = "N",
      description = "evaluate only the first N samples (default: all)")
  String limit;

  @Mixin ReportOption report = new ReportOption();

  @Option(
      names = {"--help", "-h"},
      usageHelp = true,
      description = "this help")
  boolean help;

  private final OptionValues values = new OptionValues(NAME);

  @Override
  public void validate() {
    DataFormat parsed = format == null ? null : DataFormat.parse(NAME, format);
    if (labels != null && parsed != null && parsed != DataFormat.AUTO && parsed != DataFormat.IDX) {
      throw values.usage(
          "option --labels is only for IDX data but --format is "
              + parsed.cliName()
              + "; drop --labels or give --format idx");
    }
    values.imageShape("--input-shape", inputShape);
    classNames();
    values.resize("--resize", resize);
    values.positiveInt("--batch-size", batchSize);
    values.positiveInt("--partitions", partitions);
    values.positiveInt("--limit", limit);
  }

  @Override
  public Outcome run(SparkSession spark, LetheConf conf) {
    validate();
    Evaluation evaluation =
        LetheActions.get(spark)
            .evaluate()
            .model(model)
            .data(data)
            .format(format == null ? DataFormat.AUTO : DataFormat.parse(NAME, format))
            .labels(labels)
            .inputShape(values.imageShape("--input-shape", inputShape).orElse(null))
            .classNames(classNames())
            .resize(values.resize("--resize", resize).orElse(null))
            .batchSize(values.positiveInt("--batch-size", batchSize).orElse(conf.batchSize()))
            .partitions(values.positiveInt("--partitions", partitions).orElse(0));
    values.positiveInt("--limit", limit).ifPresent(evaluation::limit);
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
    return Outcome.ok(fields);
  }

  private List<String> classNames() {
    return values.classNames("--class-names", classNames);
  }
}
