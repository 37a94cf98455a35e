package dev.lethe.job.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.lethe.attack.PgdSettings;
import dev.lethe.data.ImageShape;
import dev.lethe.job.actions.LetheActions;
import dev.lethe.job.actions.UnlearnAction;
import dev.lethe.job.conf.LetheConf;
import dev.lethe.job.failure.UsageException;
import dev.lethe.job.report.JobJson;
import dev.lethe.job.unlearn.RunSettings;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.Method;
import dev.lethe.unlearn.TuningOptions;
import dev.lethe.unlearn.UnlearnSettings;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * {@code lethe unlearn}: makes a model forget a set of training instances (L2UL by default) and
 * publishes the unlearned model as a new immutable version with an audit manifest. Adversarial
 * examples and weight importance are computed on the executors, the fine-tune on the driver.
 */
public final class UnlearnCommand implements Command {

  static final String MODEL = "--model";
  static final String FORGET = "--forget";
  static final String OUT = "--out";
  static final String TEST = "--test";
  static final String HELD_OUT = "--held-out";
  static final String HELD_OUT_FROM_TEST = "--held-out-from-test";
  static final String RETAIN = "--retain";
  static final String LABELS = "--labels";
  static final String METHOD = "--method";
  static final String GOAL = "--goal";
  static final String TARGET_CLASS = "--target-class";
  static final String TARGETED = "--targeted";
  static final String PRESET = "--preset";
  static final String SEED = "--seed";
  static final String RUN_ID = "--run-id";
  static final String SET = "--set";
  static final String PARTITIONS = "--partitions";
  static final String LIMIT = "--limit";
  static final String FORGET_IDS = "--forget-ids";
  static final String BATCH_SIZE = "--batch-size";
  static final String SAMPLE = "--sample";
  static final String WORK = "--work";
  static final String KEEP_WORK = "--keep-work";
  static final String RECORD_IDS = "--record-ids";

  private static final TypeReference<LinkedHashMap<String, Object>> FIELDS =
      new TypeReference<>() {};

  @Override
  public String name() {
    return "unlearn";
  }

  @Override
  public String summary() {
    return "make a model forget training instances and publish the unlearned model";
  }

  @Override
  public List<OptionSpec> options(LetheConf defaults) {
    return List.of(
        new OptionSpec(MODEL, "URI", null, "TorchScript .pt model (sidecar .json next to it)"),
        new OptionSpec(
            FORGET, "URI", null, "the instances to forget: IDX, image folder or Parquet"),
        new OptionSpec(OUT, "URI", null, "publish to <out>/<model-name>/<version>/"),
        new OptionSpec(TEST, "URI", "none", "test data: accuracy before/after, MIA non-members"),
        new OptionSpec(
            HELD_OUT,
            "URI",
            "none",
            "data the model never saw: goal unseen's reference; its outputs are held during the"
                + " fine-tune (labels unused)"),
        new OptionSpec(
            HELD_OUT_FROM_TEST,
            "N",
            "none",
            "use N random --test images (seeded by --seed) as --held-out; test accuracy is"
                + " measured on the rest"),
        new OptionSpec(RETAIN, "URI", "none", "a sample of retained training data"),
        new OptionSpec(
            LABELS, "URI", "images-idx3 -> labels-idx1", "IDX label file of the forget set"),
        new OptionSpec(METHOD, "NAME", "l2ul", "l2ul|neggrad|adv|retain|random-label"),
        new OptionSpec(GOAL, "GOAL", "misclassify", "misclassify|unseen"),
        new OptionSpec(TARGET_CLASS, "N", "untargeted", "relabel every instance to class N"),
        new OptionSpec(TARGETED, "", "off", "relabel each instance to its runner-up class"),
        new OptionSpec(
            PRESET,
            "NAME",
            "lethe",
            "lethe|paper|calibrate (try Lethe's candidate settings, keep the best)"),
        new OptionSpec(SEED, "N", "0", "run seed (PGD targets and starts, MIA folds)"),
        new OptionSpec(RUN_ID, "ID", "random", "run id; the version is <UTC time>-<run id>"),
        new OptionSpec(
            SET,
            "KEY=VALUE...",
            "none",
            "tuning option, repeatable; keys: " + String.join(", ", TuningOptions.KEYS)),
        new OptionSpec(PARTITIONS, "N", "Spark's default parallelism", "partitions of stages A, B"),
        new OptionSpec(LIMIT, "N", "all", "forget only the first N samples of --forget"),
        new OptionSpec(FORGET_IDS, "A,B,..", "all", "forget only the rows with these sample ids"),
        new OptionSpec(
            SAMPLE, "N", "all", "forget N rows of --forget drawn at random (seeded by --seed)"),
        new OptionSpec(
            WORK,
            "URI",
            "<out>/<model-name>/.work-<version>",
            "work folder (stage A's Parquet checkpoint); a run's own subfolder is made in it"),
        new OptionSpec(KEEP_WORK, "", "off", "keep the work folder after the run"),
        new OptionSpec(
            RECORD_IDS, "", "off", "list the forget ids in the manifest (not just a hash)"),
        new OptionSpec(
            BATCH_SIZE,
            "N",
            defaults.batchSize() + " (" + LetheConf.BATCH_SIZE + ")",
            "images per forward pass on the executors"));
  }

  @Override
  public void validate(ParsedOptions options) {
    Method method = method(options);
    Goal goal = goal(options);
    if (options.flag(TARGETED) && options.get(TARGET_CLASS).isPresent()) {
      throw usage("options " + TARGETED + " and " + TARGET_CLASS + " exclude each other; give one");
    }
    targetClass(options);
    if (options.get(HELD_OUT_FROM_TEST).isPresent()) {
      if (options.get(HELD_OUT).isPresent()) {
        throw usage(
            "options " + HELD_OUT + " and " + HELD_OUT_FROM_TEST + " exclude each other; give one");
      }
      if (options.get(TEST).isEmpty()) {
        throw usage("option " + HELD_OUT_FROM_TEST + " needs " + TEST + "; give " + TEST + " URI");
      }
      options.positiveInt(HELD_OUT_FROM_TEST);
    }
    if (goal == Goal.UNSEEN
        && options.get(HELD_OUT).isEmpty()
        && options.get(HELD_OUT_FROM_TEST).isEmpty()) {
      throw usage(
          "option "
              + GOAL
              + " unseen needs "
              + HELD_OUT
              + "; give "
              + HELD_OUT
              + " URI or "
              + HELD_OUT_FROM_TEST
              + " N");
    }
    if (method.usesRetainSample() && options.get(RETAIN).isEmpty()) {
      throw usage("option " + METHOD + " retain needs " + RETAIN + "; give " + RETAIN + " URI");
    }
    seed(options);
    runId(options);
    forgetIds(options);
    if (options.get(SAMPLE).isPresent() && options.get(FORGET_IDS).isPresent()) {
      throw usage("options " + SAMPLE + " and " + FORGET_IDS + " exclude each other; give one");
    }
    options.positiveInt(SAMPLE);
    options.positiveInt(PARTITIONS);
    options.positiveInt(LIMIT);
    options.positiveInt(BATCH_SIZE);
    settings(options, new ImageShape(1, 28, 28));
  }

  @Override
  public Map<String, Object> run(SparkSession spark, ParsedOptions options, LetheConf conf) {
    validate(options);
    UnlearnAction action =
        LetheActions.get(spark)
            .unlearn()
            .model(options.required(MODEL))
            .forget(options.required(FORGET))
            .output(options.required(OUT))
            .test(options.get(TEST).orElse(null))
            .heldOut(options.get(HELD_OUT).orElse(null))
            .retain(options.get(RETAIN).orElse(null))
            .labels(options.get(LABELS).orElse(null))
            .method(method(options))
            .goal(goal(options))
            .preset(options.get(PRESET).orElse(null))
            .seed(seed(options))
            .runId(runId(options))
            .tuning(tuning(options))
            .forgetIds(forgetIds(options))
            .batchSize(options.positiveInt(BATCH_SIZE).orElse(conf.batchSize()))
            .work(options.get(WORK).orElse(null))
            .keepWork(options.flag(KEEP_WORK))
            .recordIds(options.flag(RECORD_IDS));
    if (options.flag(TARGETED)) {
      action.targeted();
    }
    Integer targetClass = targetClass(options);
    if (targetClass != null) {
      action.targetClass(targetClass);
    }
    options.positiveInt(PARTITIONS).ifPresent(action::partitions);
    options.positiveInt(LIMIT).ifPresent(action::limit);
    options.positiveInt(SAMPLE).ifPresent(action::sample);
    options.positiveInt(HELD_OUT_FROM_TEST).ifPresent(action::heldOutFromTest);
    UnlearnAction.Result result = action.execute();
    Map<String, Object> fields = JobJson.mapper().convertValue(result.report(), FIELDS);
    if (result.status() != UnlearnAction.Status.PUBLISHED) {
      throw new RunFailedException(result.error(), ExitCodes.of(result.failureReason()), fields);
    }
    return fields;
  }

  /** The candidate settings (one with --preset) and PGD settings after the --set overrides. */
  public static RunSettings settings(ParsedOptions options, ImageShape shape) {
    return RunSettings.resolve(
        options.get(PRESET).orElse(null), goal(options), tuning(options), shape);
  }

  private static Map<String, String> tuning(ParsedOptions options) {
    Map<String, String> sets;
    try {
      sets = TuningOptions.parse(options.all(SET));
    } catch (IllegalArgumentException e) {
      throw usage("option " + SET + ": " + e.getMessage());
    }
    String preset = options.get(PRESET).orElse(null);
    try {
      for (UnlearnSettings base :
          UnlearnSettings.presetCandidates(preset == null ? "lethe" : preset, goal(options))) {
        TuningOptions.apply(base, PgdSettings.defaults(new ImageShape(1, 28, 28)), sets);
      }
    } catch (IllegalArgumentException e) {
      throw usage(
          "option "
              + (preset != null && e.getMessage().contains("preset") ? PRESET : SET)
              + ": "
              + e.getMessage());
    }
    return sets;
  }

  private static Method method(ParsedOptions options) {
    try {
      return Method.parse(options.get(METHOD).orElse("l2ul"));
    } catch (IllegalArgumentException e) {
      throw usage("option " + METHOD + ": " + e.getMessage());
    }
  }

  private static Goal goal(ParsedOptions options) {
    try {
      return Goal.parse(options.get(GOAL).orElse("misclassify"));
    } catch (IllegalArgumentException e) {
      throw usage("option " + GOAL + ": " + e.getMessage());
    }
  }

  private static Integer targetClass(ParsedOptions options) {
    String value = options.get(TARGET_CLASS).orElse(null);
    if (value == null) {
      return null;
    }
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw usage("option " + TARGET_CLASS + " is '" + value + "'; give a class index of 0 or more");
  }

  private static long seed(ParsedOptions options) {
    String value = options.get(SEED).orElse("0");
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw usage("option " + SEED + " is '" + value + "'; give a whole number");
    }
  }

  private static String runId(ParsedOptions options) {
    String value = options.get(RUN_ID).orElse(null);
    if (value != null && !value.matches("[A-Za-z0-9._-]{1,64}")) {
      throw usage(
          "option "
              + RUN_ID
              + " is '"
              + value
              + "'; give 1 to 64 letters, digits, '.', '_' or '-'");
    }
    return value;
  }

  private static List<String> forgetIds(ParsedOptions options) {
    String value = options.get(FORGET_IDS).orElse(null);
    if (value == null) {
      return List.of();
    }
    List<String> ids = Arrays.stream(value.split(",")).map(String::trim).toList();
    if (ids.isEmpty() || ids.stream().anyMatch(String::isEmpty)) {
      throw usage("option " + FORGET_IDS + " is '" + value + "'; give sample ids separated by ','");
    }
    return ids;
  }

  private static UsageException usage(String message) {
    return new UsageException("Cannot run unlearn: " + message);
  }
}
