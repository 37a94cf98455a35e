package dev.lethe.job.cli;

import dev.lethe.data.ImageShape;
import dev.lethe.job.conf.LetheConf;
import dev.lethe.job.failure.FailureReason;
import dev.lethe.job.ledger.Ledger;
import dev.lethe.job.ledger.Status;
import dev.lethe.job.ledger.SweepLock;
import dev.lethe.job.ledger.SweepLockException;
import dev.lethe.job.ledger.SweepLockedException;
import dev.lethe.job.storage.OutputProbe;
import dev.lethe.job.sweep.Sweep;
import dev.lethe.job.unlearn.RunSettings;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.Method;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lethe sweep}: forgets the pending erasure requests of a requests folder, records every
 * outcome in a Delta Lake ledger, and publishes one model version per run ({@link Sweep}). The last
 * line of output counts the outcomes recorded per status and lists the versions published.
 */
@Command(
    name = "sweep",
    description =
        "forget the pending erasure requests, publish the next versions, record outcomes in a ledger")
public final class SweepCommand implements JobCommand {

  /**
   * Samples per run when --max-per-run is not given: the largest request size that finished on both
   * seeds at the default settings in docs/BENCHMARKS.md (k = 64; k = 128 stops at escalate-max).
   */
  public static final int MAX_PER_RUN_DEFAULT = 64;

  /** Seconds a sweep's lease on the ledger lives without renewal, when --lock-ttl is not given. */
  public static final int LOCK_TTL_DEFAULT_SECONDS = SweepLock.DEFAULT_TTL_SECONDS;

  private static final String NAME = "sweep";

  @Option(
      names = "--requests",
      order = 1,
      required = true,
      paramLabel = "URI",
      description = "folder of *.jsonl erasure requests (or one file)")
  String requests;

  @Option(
      names = "--ledger",
      order = 2,
      required = true,
      paramLabel = "URI",
      description = "Delta Lake table of outcomes (made when absent)")
  String ledger;

  @Option(
      names = "--dataset",
      order = 3,
      required = true,
      paramLabel = "URI",
      description = "the training data (IDX, image folder or Parquet) the sample ids name")
  String dataset;

  @Option(
      names = "--subjects",
      order = 4,
      paramLabel = "URI",
      description = "CSV or Parquet of subject,id (default: none; requests must name ids)")
  String subjects;

  @Option(
      names = "--model",
      order = 5,
      required = true,
      paramLabel = "URI",
      description = "the original TorchScript model (runs start from current.json when there)")
  String model;

  @Option(
      names = "--out",
      order = 6,
      required = true,
      paramLabel = "URI",
      description = "where versions are published: <out>/<model-name>/<version>/")
  String out;

  @Option(
      names = "--max-per-run",
      order = 7,
      paramLabel = "N",
      description =
          "new samples per run; a larger request is split over chained runs (default: 64)")
  String maxPerRun;

  @Option(names = "--test", order = 8, paramLabel = "URI", description = "test data")
  String test;

  @Option(
      names = "--held-out",
      order = 9,
      paramLabel = "URI",
      description = "data the model never saw (default: none)")
  String heldOut;

  @Option(
      names = "--held-out-from-test",
      order = 10,
      paramLabel = "N",
      description =
          "use N random test images as held-out data; 0: none (default: goal misclassify draws"
              + " 1000 when --test has 2000 images or more and no --held-out is given, as unlearn"
              + " does; goal unseen needs --held-out or this option)")
  String heldOutFromTest;

  @Option(
      names = "--retain",
      order = 10,
      paramLabel = "URI",
      description =
          "a sample of retained training data: retain accuracy, --max-retain-drop's data, and"
              + " --method retain's; without a held-out sample the fine-tune holds its outputs"
              + " (default: none)")
  String retain;

  @Option(
      names = "--retain-from-dataset",
      order = 10,
      paramLabel = "N",
      description =
          "use N random rows of --dataset that a run does not forget as --retain; 0: none"
              + " (default: 1000 when a run has no held-out sample and no --retain and its"
              + " settings would hold one, as unlearn does)")
  String retainFromDataset;

  @Option(
      names = "--max-test-drop",
      order = 10,
      paramLabel = "POINTS",
      description =
          "publish gate: a run losing more test accuracy publishes nothing and its requests are"
              + " recorded failed (needs --test) (default: a run left with under half its test"
              + " accuracy publishes nothing; 100 turns that off)")
  String maxTestDrop;

  @Option(
      names = "--max-retain-drop",
      order = 10,
      paramLabel = "POINTS",
      description =
          "publish gate: the same for accuracy on the retain data (needs --retain) (default: no"
              + " gate)")
  String maxRetainDrop;

  @Option(
      names = "--method",
      order = 11,
      paramLabel = "NAME",
      description =
          "l2ul|neggrad|adv|retain|random-label|salun|scrub; retain needs --retain (default: l2ul)")
  String method;

  @Option(
      names = "--goal",
      order = 12,
      paramLabel = "GOAL",
      description =
          "misclassify|unseen (default: unseen, which needs --held-out or --held-out-from-test:"
              + " the forgotten images end up looking like data the model never saw, as in a"
              + " model retrained without them; misclassify makes them stand out to a"
              + " membership-inference attack)")
  String goal;

  @Option(
      names = "--preset",
      order = 13,
      paramLabel = "NAME",
      description = "lethe|paper|calibrate (default: lethe)")
  String preset;

  @Option(
      names = "--set",
      order = 14,
      paramLabel = "KEY=VALUE...",
      description = "tuning option, repeatable, as for unlearn (default: none)")
  List<String> sets = List.of();

  @Option(names = "--seed", order = 15, paramLabel = "N", description = "run seed (default: 0)")
  String seed;

  @Option(
      names = "--partitions",
      order = 16,
      paramLabel = "N",
      description = "partitions of stages A, B (default: Spark's default parallelism)")
  String partitions;

  @Option(
      names = "--batch-size",
      order = 17,
      paramLabel = "N",
      description =
          "images per forward pass on the executors (default: "
              + LetheHelp.BATCH_SIZE_DEFAULT
              + ")")
  String batchSize;

  @Option(
      names = "--lock-ttl",
      order = 18,
      paramLabel = "SECONDS",
      description =
          "life of the ledger's sweep lease, renewed while the sweep runs; a sweep that died frees"
              + " the ledger after it (default: "
              + LOCK_TTL_DEFAULT_SECONDS
              + ")")
  String lockTtl;

  @Option(
      names = "--dry-run",
      order = 89,
      description =
          "check the inputs and print the plan (pending and rejected requests, runs, model, where"
              + " it would publish); reads the ledger if there, creates nothing, takes no lock,"
              + " records and publishes nothing (default: off)")
  boolean dryRun;

  @Mixin ReportOption report = new ReportOption();

  @Option(
      names = {"--help", "-h"},
      order = 99,
      usageHelp = true,
      description = "this help")
  boolean help;

  private final OptionValues values = new OptionValues(NAME);

  /** What the sweep did so far, for the summary of a sweep that fails with an exception. */
  private final Map<String, Object> measured = new LinkedHashMap<>();

  @Override
  public Map<String, Object> measured() {
    return measured;
  }

  @Override
  public Map<String, String> sparkConf() {
    return Ledger.SPARK_CONF;
  }

  @Override
  public List<OutputProbe.Location> outputs() {
    return List.of(
        OutputProbe.Location.folder("--out", out), OutputProbe.Location.folder("--ledger", ledger));
  }

  @Override
  public void validate() {
    Method m = method();
    Goal g = goal();
    int fromDataset = values.nonNegativeInt("--retain-from-dataset", retainFromDataset).orElse(-1);
    if (retain != null && fromDataset > 0) {
      throw values.usage("options --retain and --retain-from-dataset exclude each other; give one");
    }
    if (m.usesRetainSample() && retain == null && fromDataset <= 0) {
      throw values.usage(
          "option --method "
              + m.cliName()
              + " needs --retain; give --retain URI or --retain-from-dataset N");
    }
    int fromTest = values.nonNegativeInt("--held-out-from-test", heldOutFromTest).orElse(-1);
    if (fromTest > 0 && test == null) {
      throw values.usage("option --held-out-from-test needs --test; give --test URI");
    }
    if (heldOut != null && fromTest > 0) {
      throw values.usage(
          "options --held-out and --held-out-from-test exclude each other; give one");
    }
    if (g == Goal.UNSEEN && heldOut == null && fromTest <= 0) {
      throw values.usage(
          goal == null
              ? "the default goal unseen needs a held-out sample; give --held-out URI or"
                  + " --held-out-from-test N, or choose --goal misclassify"
              : "option --goal unseen needs --held-out; give --held-out URI or"
                  + " --held-out-from-test N");
    }
    maxTestDrop();
    maxRetainDrop();
    values.positiveInt("--max-per-run", maxPerRun);
    values.positiveInt("--partitions", partitions);
    values.positiveInt("--batch-size", batchSize);
    values.positiveInt("--lock-ttl", lockTtl);
    seed();
    RunSettings.resolve(preset, g, tuning(), new ImageShape(1, 28, 28));
  }

  @Override
  public Outcome run(SparkSession spark, LetheConf conf) {
    validate();
    Sweep.Settings settings =
        new Sweep.Settings(
            requests,
            ledger,
            dataset,
            subjects,
            model,
            out,
            values.positiveInt("--max-per-run", maxPerRun).orElse(MAX_PER_RUN_DEFAULT),
            test,
            heldOut,
            values.nonNegativeInt("--held-out-from-test", heldOutFromTest).orElse(null),
            values.nonNegativeInt("--retain-from-dataset", retainFromDataset).orElse(null),
            method(),
            goal(),
            preset,
            conf.tuning(tuning()),
            seed(),
            values.positiveInt("--partitions", partitions).orElse(0),
            values.positiveInt("--batch-size", batchSize).orElse(conf.batchSize()),
            maxTestDrop(),
            retain,
            maxRetainDrop(),
            Duration.ofSeconds(
                values.positiveInt("--lock-ttl", lockTtl).orElse(LOCK_TTL_DEFAULT_SECONDS)));
    if (dryRun) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("dry_run", true);
      fields.putAll(new Sweep(spark, settings).plan());
      return Outcome.ok(fields);
    }
    Sweep.Result result;
    try {
      result = new Sweep(spark, settings).measuredInto(measured).run();
    } catch (SweepLockException e) {
      // What the sweep recorded and published before it lost (or never got) the lease.
      Map<String, Object> fields = new LinkedHashMap<>(measured);
      fields.put("ledger", e.ledger());
      if (e instanceof SweepLockedException locked && locked.lease() != null) {
        fields.put("locked_by", locked.lease().holder());
        fields.put("lock_expires_at", locked.lease().expiresAt().toString());
      }
      return Outcome.failed(fields, FailureReason.LOCKED, e.getMessage());
    }
    Map<String, Object> fields = Sweep.fields(result);
    int failed = result.counts().getOrDefault(Status.FAILED, 0);
    if (failed > 0) {
      return Outcome.failed(
          fields,
          FailureReason.GOAL_NOT_REACHED,
          "Cannot forget "
              + failed
              + " requests: their run published nothing (missed its goal or broke"
              + " --max-test-drop or --max-retain-drop); they are recorded failed in the ledger"
              + " with the reason, for a person to decide");
    }
    return Outcome.ok(fields);
  }

  private Double maxTestDrop() {
    return values.gatePoints("--max-test-drop", maxTestDrop, "--test", test != null).orElse(null);
  }

  private Double maxRetainDrop() {
    return values
        .gatePoints(
            "--max-retain-drop",
            maxRetainDrop,
            "--retain",
            retain != null
                || values.nonNegativeInt("--retain-from-dataset", retainFromDataset).orElse(0) > 0)
        .orElse(null);
  }

  private Map<String, String> tuning() {
    return values.tuning(sets, preset, goal());
  }

  private Method method() {
    return values.method(method);
  }

  /**
   * The sweep's goal: unseen unless {@code --goal} says otherwise. A compliance sweep should leave
   * the forgotten images looking like data the model never saw, as a model retrained without them
   * does; goal misclassify makes them stand out to a membership-inference attack
   * (docs/BENCHMARKS.md, "Against the model retrained without the forget set").
   */
  private Goal goal() {
    return goal == null ? Goal.UNSEEN : values.goal(goal);
  }

  private long seed() {
    return values.seed(seed);
  }
}
