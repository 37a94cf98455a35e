package dev.lethe.job.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.lethe.data.ImageShape;
import dev.lethe.job.actions.LetheActions;
import dev.lethe.job.actions.UnlearnAction;
import dev.lethe.job.conf.LetheConf;
import dev.lethe.job.report.JobJson;
import dev.lethe.job.storage.OutputProbe;
import dev.lethe.job.unlearn.RunSettings;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.Method;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lethe unlearn}: makes a model forget a set of training instances (L2UL by default) and
 * publishes the unlearned model as a new immutable version with an audit manifest, through {@link
 * UnlearnAction}. A long {@code --forget-ids} list can come from a file: {@code @ids.txt} on the
 * command line is replaced by the file's words (picocli's @-files).
 */
@Command(
    name = "unlearn",
    description = "make a model forget training instances and publish the unlearned model")
public final class UnlearnCommand implements JobCommand {

  private static final String NAME = "unlearn";
  private static final TypeReference<LinkedHashMap<String, Object>> FIELDS =
      new TypeReference<>() {};

  @Mixin UnlearnInputOptions inputs = new UnlearnInputOptions();

  @Option(
      names = "--method",
      order = 9,
      paramLabel = "NAME",
      description = "l2ul|neggrad|adv|retain|random-label|salun|scrub (default: l2ul)")
  String method;

  @Option(
      names = "--goal",
      order = 10,
      paramLabel = "GOAL",
      description = "misclassify|unseen (default: misclassify)")
  String goal;

  @ArgGroup(exclusive = true)
  Target target = new Target();

  /** Which class the instances are relabelled to: the runner-up class, or one class. */
  static final class Target {
    @Option(
        names = "--targeted",
        order = 11,
        description = "relabel each instance to its runner-up class (default: off)")
    boolean runnerUp;

    @Option(
        names = "--target-class",
        order = 12,
        paramLabel = "N",
        description = "relabel every instance to class N (default: untargeted)")
    String targetClass;
  }

  @Option(
      names = "--preset",
      order = 13,
      paramLabel = "NAME",
      description =
          "lethe|paper|calibrate (try Lethe's candidate settings, keep the best) (default: lethe)")
  String preset;

  @Option(
      names = "--seed",
      order = 14,
      paramLabel = "N",
      description = "run seed (PGD targets and starts, MIA folds) (default: 0)")
  String seed;

  @Option(
      names = "--run-id",
      order = 15,
      paramLabel = "ID",
      description =
          "run id; the version is <UTC time>-<run id>; a rerun with the id of a published version"
              + " publishes nothing and prints that version (default: random)")
  String runId;

  @Option(
      names = "--set",
      order = 16,
      paramLabel = "KEY=VALUE...",
      completionCandidates = TuningKeys.class,
      description = "tuning option, repeatable; keys: ${COMPLETION-CANDIDATES} (default: none)")
  List<String> sets = List.of();

  @Option(
      names = "--partitions",
      order = 17,
      paramLabel = "N",
      description = "partitions of stages A, B (default: Spark's default parallelism)")
  String partitions;

  @Option(
      names = "--max-test-drop",
      order = 17,
      paramLabel = "POINTS",
      description =
          "publish gate: a run losing more test accuracy (percentage points) publishes nothing"
              + " (needs --test) (default: a run left with under half its test accuracy publishes"
              + " nothing; 100 turns that off)")
  String maxTestDrop;

  @Option(
      names = "--max-retain-drop",
      order = 17,
      paramLabel = "POINTS",
      description =
          "publish gate: a run losing more retain accuracy (percentage points) publishes nothing"
              + " (needs --retain or --retain-from-forget N) (default: no gate)")
  String maxRetainDrop;

  @Option(
      names = "--work",
      order = 21,
      paramLabel = "URI",
      description =
          "work folder (stage A's Parquet checkpoint); a run's own subfolder is made in it"
              + " (default: <out>/<model-name>/.work-<version>)")
  String work;

  @Option(
      names = "--keep-work",
      order = 22,
      description = "keep the work folder after the run (default: off)")
  boolean keepWork;

  @Option(
      names = "--record-ids",
      order = 23,
      description = "list the forget ids in the manifest (not just a hash) (default: off)")
  boolean recordIds;

  @Option(
      names = "--batch-size",
      order = 24,
      paramLabel = "N",
      description =
          "images per forward pass on the executors (default: "
              + LetheHelp.BATCH_SIZE_DEFAULT
              + ")")
  String batchSize;

  @Option(
      names = "--dry-run",
      order = 89,
      description =
          "check every input and print the plan (model, data sizes, settings, stages, where it"
              + " would publish); publish nothing, write nothing (default: off)")
  boolean dryRun;

  @Mixin ReportOption report = new ReportOption();

  @Option(
      names = {"--help", "-h"},
      order = 99,
      usageHelp = true,
      description = "this help")
  boolean help;

  private final OptionValues values = new OptionValues(NAME);

  /** What the run measured so far, for the summary of a run that fails with an exception. */
  private final Map<String, Object> measured = new LinkedHashMap<>();

  @Override
  public Map<String, Object> measured() {
    return measured;
  }

  @Override
  public List<OutputProbe.Location> outputs() {
    return java.util.Arrays.asList(
        OutputProbe.Location.folder("--out", inputs.out),
        OutputProbe.Location.folder("--work", work));
  }

  @Override
  public void validate() {
    Method method = method();
    Goal goal = goal();
    targetClass();
    int fromTest =
        values.nonNegativeInt("--held-out-from-test", inputs.heldOut.fromTest).orElse(-1);
    if (fromTest > 0 && inputs.test == null) {
      throw values.usage("option --held-out-from-test needs --test; give --test URI");
    }
    if (goal == Goal.UNSEEN && inputs.heldOut.uri == null) {
      HeldOutNeeds.check(values, "option --goal unseen", fromTest, inputs.test != null);
    }
    int fromForget =
        values.nonNegativeInt("--retain-from-forget", inputs.retainFromForget).orElse(-1);
    if (inputs.retain != null && fromForget > 0) {
      throw values.usage("options --retain and --retain-from-forget exclude each other; give one");
    }
    if (method.usesRetainSample() && inputs.retain == null && fromForget <= 0) {
      throw values.usage(
          "option --method retain needs --retain; give --retain URI or --retain-from-forget N");
    }
    if (method == Method.SCRUB && (target.runnerUp || target.targetClass != null)) {
      throw values.usage(
          "option --method scrub takes no target: it moves the forget set away from the original"
              + " outputs, toward no class; drop "
              + (target.runnerUp ? "--targeted" : "--target-class " + target.targetClass)
              + " or choose another method");
    }
    maxTestDrop();
    maxRetainDrop();
    seed();
    runId();
    inputs.forgetIds();
    inputs.classNames();
    inputs.resize();
    inputs.inputShape();
    values.positiveInt("--sample", inputs.rows.sample);
    values.positiveInt("--partitions", partitions);
    values.positiveInt("--limit", inputs.limit);
    values.positiveInt("--batch-size", batchSize);
    RunSettings.resolve(preset, goal, method(), tuning(), new ImageShape(1, 28, 28));
  }

  @Override
  public Outcome run(SparkSession spark, LetheConf conf) {
    validate();
    UnlearnAction action =
        LetheActions.get(spark)
            .unlearn()
            .model(inputs.model)
            .forget(inputs.forget)
            .output(inputs.out)
            .test(inputs.test)
            .heldOut(inputs.heldOut.uri)
            .retain(inputs.retain)
            .labels(inputs.labels)
            .classNames(inputs.classNames())
            .resize(inputs.resize())
            .inputShape(inputs.inputShape())
            .method(method())
            .goal(goal())
            .preset(preset)
            .seed(seed())
            .runId(runId())
            .tuning(conf.tuning(tuning()))
            .forgetIds(inputs.forgetIds())
            .batchSize(values.positiveInt("--batch-size", batchSize).orElse(conf.batchSize()))
            .work(work)
            .keepWork(keepWork)
            .recordIds(recordIds)
            .measuredInto(measured);
    if (target.runnerUp) {
      action.targeted();
    }
    Integer targetClass = targetClass();
    if (targetClass != null) {
      action.targetClass(targetClass);
    }
    maxTestDrop().ifPresent(action::maxTestDrop);
    maxRetainDrop().ifPresent(action::maxRetainDrop);
    values.positiveInt("--partitions", partitions).ifPresent(action::partitions);
    values.positiveInt("--limit", inputs.limit).ifPresent(action::limit);
    values.positiveInt("--sample", inputs.rows.sample).ifPresent(action::sample);
    values
        .nonNegativeInt("--held-out-from-test", inputs.heldOut.fromTest)
        .ifPresent(action::heldOutFromTest);
    values
        .nonNegativeInt("--retain-from-forget", inputs.retainFromForget)
        .ifPresent(action::retainFromForget);
    if (dryRun) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("dry_run", true);
      fields.putAll(action.plan());
      return Outcome.ok(fields);
    }
    UnlearnAction.Result result = action.execute();
    Map<String, Object> fields = JobJson.mapper().convertValue(result.report(), FIELDS);
    fields.put("already_published", result.alreadyPublished());
    if (result.status() != UnlearnAction.Status.PUBLISHED) {
      return Outcome.failed(fields, result.failureReason(), result.error());
    }
    return Outcome.ok(fields);
  }

  private Map<String, String> tuning() {
    return values.tuning(sets, preset, goal());
  }

  private Method method() {
    return values.method(method);
  }

  private Goal goal() {
    return values.goal(goal);
  }

  private Integer targetClass() {
    String value = target.targetClass;
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
    throw values.invalid("--target-class", value, "give a class index of 0 or more");
  }

  private Optional<Double> maxTestDrop() {
    return values.gatePoints("--max-test-drop", maxTestDrop, "--test", inputs.test != null);
  }

  private Optional<Double> maxRetainDrop() {
    boolean drawn =
        values.nonNegativeInt("--retain-from-forget", inputs.retainFromForget).orElse(0) > 0;
    return values.gatePoints(
        "--max-retain-drop", maxRetainDrop, "--retain", inputs.retain != null || drawn);
  }

  private long seed() {
    return values.seed(seed);
  }

  private String runId() {
    if (runId != null && !runId.matches("[A-Za-z0-9._-]{1,64}")) {
      throw values.invalid("--run-id", runId, "give 1 to 64 letters, digits, '.', '_' or '-'");
    }
    return runId;
  }
}
