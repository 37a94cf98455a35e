package dev.lethe.job.sweep;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;

import dev.lethe.eval.Stopwatch;
import dev.lethe.job.actions.LetheActions;
import dev.lethe.job.actions.UnlearnAction;
import dev.lethe.job.ledger.Ledger;
import dev.lethe.job.ledger.Outcome;
import dev.lethe.job.ledger.Status;
import dev.lethe.job.ledger.SweepLock;
import dev.lethe.job.model.ModelArtifact;
import dev.lethe.job.report.Seconds;
import dev.lethe.job.requests.SubjectResolver;
import dev.lethe.job.unlearn.CurrentVersion;
import dev.lethe.job.unlearn.PublishedVersions;
import dev.lethe.job.unlearn.UnlearnRun;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.Method;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One compliance sweep: reads the erasure requests, keeps those with no outcome in the ledger,
 * records the malformed and unresolvable ones as {@code rejected}, unlearns the rest in runs of at
 * most {@code maxPerRun} new samples, each from the model's current version ({@code current.json},
 * else the original) to the next, and records one {@code forgotten} outcome per request only after
 * the version that serves it is published.
 *
 * <p>Continual unlearning: every sample forgotten by an earlier version of the model (the ledger's
 * {@code sample_ids} of its forgotten requests) is kept in the forget set of every later run, so
 * the goal (misclassify them all) holds for it in every version.
 *
 * <p>Each run's id is derived from the request ids and sample ids it serves, so a sweep killed
 * after publishing and before recording finds that version on its next start ({@link
 * UnlearnAction#runId}) and records it without unlearning twice; and a pending request that a
 * version's manifest lists in {@code request_ids} is recorded from that manifest, however the
 * requests are grouped now.
 */
public final class Sweep {

  private static final Logger LOG = LoggerFactory.getLogger(Sweep.class);

  /**
   * What a sweep is asked to do; {@code subjects}, {@code test}, {@code heldOut}, {@code
   * heldOutFromTest} and {@code retainFromDataset} (null: each run's own choice, {@link
   * dev.lethe.job.unlearn.InputReader}), {@code maxTestDrop} (percentage points; null: no gate),
   * {@code retain} (a sample of retained training data: retain accuracy, method retain's data) and
   * {@code maxRetainDrop} (its gate) may be null. {@code lockTtl}: how long the ledger's lease
   * lives without renewal ({@link SweepLock}).
   */
  public record Settings(
      String requests,
      String ledger,
      String dataset,
      String subjects,
      String model,
      String out,
      int maxPerRun,
      String test,
      String heldOut,
      Integer heldOutFromTest,
      Integer retainFromDataset,
      Method method,
      Goal goal,
      String preset,
      Map<String, String> tuning,
      long seed,
      int partitions,
      int batchSize,
      Double maxTestDrop,
      String retain,
      Double maxRetainDrop,
      Duration lockTtl) {

    public Settings {
      Objects.requireNonNull(requests, "requests");
      Objects.requireNonNull(ledger, "ledger");
      Objects.requireNonNull(dataset, "dataset");
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(out, "out");
      // In the given order, as unlearn records them: Map.copyOf's order changes from JVM to JVM.
      tuning = Collections.unmodifiableMap(new LinkedHashMap<>(tuning));
      Objects.requireNonNull(lockTtl, "lockTtl");
    }
  }

  /**
   * What a sweep did: outcomes recorded per status, requests left pending (after a failed run), the
   * versions published in order, the runs made and the wall time.
   */
  public record Result(
      Map<Status, Integer> counts, int pending, List<String> versions, int runs, double seconds) {

    public Result {
      counts = Map.copyOf(counts);
      versions = List.copyOf(versions);
    }
  }

  private final SparkSession spark;
  private final Settings settings;
  private final Consumer<String> progress = line -> LOG.info("sweep: {}", line);
  private Map<String, Object> measured = new LinkedHashMap<>();

  public Sweep(SparkSession spark, Settings settings) {
    this.spark = Objects.requireNonNull(spark, "spark");
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /**
   * Keeps {@code sink} up to date with what the sweep has done so far, as {@link #fields} names it
   * (stage, counts, pending, versions, runs), so that a sweep that stops with an exception (a lost
   * lease, a failed Spark job) still reports what it recorded and published before.
   */
  public Sweep measuredInto(Map<String, Object> sink) {
    this.measured = Objects.requireNonNull(sink, "sink");
    return this;
  }

  /** Records the sweep's state so far into {@link #measured}. */
  private void measure(
      String stage, Map<Status, Integer> counts, int pending, List<String> versions, int runs) {
    measured.put("stage", stage);
    measured.putAll(fields(new Result(counts, pending, versions, runs, 0)));
    measured.remove("seconds");
  }

  /**
   * Runs the sweep while holding the ledger's lease ({@link SweepLock}).
   *
   * @throws dev.lethe.job.ledger.SweepLockedException when another sweep holds the ledger's lease:
   *     nothing was done
   * @throws dev.lethe.job.ledger.SweepLockLostException when another sweep took the lease over
   *     while this one ran: nothing more was published
   * @throws dev.lethe.job.ledger.LedgerConflictException when another writer recorded first
   */
  public Result run() {
    long start = System.nanoTime();
    measured.put("stage", "lock");
    measured.put("ledger", settings.ledger());
    // before the ledger is opened (which creates it): a refused sweep writes nothing
    requireLineage(
        spark.sparkContext().hadoopConfiguration(),
        UnlearnRun.modelName(new Path(settings.model()).getName()));
    Ledger ledger = Ledger.open(spark, settings.ledger());
    try (SweepLock lock =
        SweepLock.acquire(ledger, SweepLock.holderName(spark), settings.lockTtl())) {
      progress.accept("holding the ledger's lock as " + lock.holder());
      return sweep(ledger, lock, start);
    }
  }

  /**
   * What {@link #run} would do, without doing it (a dry run): see {@link SweepDryRun}. Creates no
   * ledger, takes no lock, records nothing, publishes nothing.
   */
  public Map<String, Object> plan() {
    return new SweepDryRun(spark, settings).plan();
  }

  /** Refuses a current version that another model of the same file name published. */
  private void requireLineage(Configuration hadoop, String modelName) {
    Lineage.requireDescendsFrom(
        hadoop,
        settings.out(),
        modelName,
        CurrentVersion.read(hadoop, settings.out(), modelName),
        settings.model());
  }

  private Result sweep(Ledger ledger, SweepLock lock, long start) {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    String modelName = UnlearnRun.modelName(new Path(settings.model()).getName());
    measured.put("stage", "intake");
    SweepIntake in = SweepIntake.read(spark, settings, Optional.of(ledger));
    Map<Status, Integer> counts = new EnumMap<>(Status.class);
    for (Status s : Status.values()) {
      counts.put(s, 0);
    }
    List<Outcome> rejected = in.rejected();
    SubjectResolver.Resolution resolution = in.resolution();
    ledger.record(rejected);
    counts.merge(Status.REJECTED, rejected.size(), Integer::sum);
    List<SubjectResolver.Resolved> toUnlearn = completeFromManifests(ledger, modelName, resolution);
    counts.merge(Status.FORGOTTEN, resolution.resolved().size() - toUnlearn.size(), Integer::sum);
    progress.accept(
        String.format(
            "%d requests read, %d pending, %d rejected, %d recorded from manifests, %d to unlearn",
            in.read().requests().size(),
            in.pending().size(),
            rejected.size(),
            resolution.resolved().size() - toUnlearn.size(),
            toUnlearn.size()));

    List<String> versions = new ArrayList<>();
    List<SweepPlan.Run> runs = SweepPlan.of(toUnlearn, settings.maxPerRun());
    Set<String> forgotten = new LinkedHashSet<>(forgottenIds(ledger, modelName));
    int done = 0;
    int runsMade = 0;
    for (SweepPlan.Run run : runs) {
      measure(
          "run " + (runsMade + 1) + "/" + runs.size(),
          counts,
          toUnlearn.size() - done,
          versions,
          runsMade);
      List<String> forget = new ArrayList<>(forgotten);
      run.sampleIds().stream().filter(id -> !forgotten.contains(id)).forEach(forget::add);
      String parent =
          CurrentVersion.read(hadoop, settings.out(), modelName)
              .map(CurrentVersion::modelUri)
              .orElse(settings.model());
      progress.accept(
          String.format(
              "run %d/%d from %s: requests %s, %d new samples, %d forgotten earlier",
              runsMade + 1,
              runs.size(),
              parent,
              run.requestIds(),
              run.sampleIds().size(),
              forgotten.size()));
      // the samples that later runs of this sweep forget are kept out of any retain draw
      List<String> later = new ArrayList<>();
      runs.subList(runsMade + 1, runs.size()).forEach(r -> later.addAll(r.sampleIds()));
      UnlearnAction.Result result = unlearn(parent, modelName, forget, later, run, lock);
      runsMade++;
      if (result.status() != UnlearnAction.Status.PUBLISHED) {
        List<Outcome> failed = SweepOutcomes.failed(run, modelName, result.error());
        ledger.record(failed);
        counts.merge(Status.FAILED, failed.size(), Integer::sum);
        done += run.parts().stream().filter(SweepPlan.Part::last).count();
        progress.accept("run failed, the sweep stops: " + result.error());
        break;
      }
      String version = result.version();
      versions.add(version);
      String sha = SweepOutcomes.publishedModelSha(hadoop, result.manifestUri());
      List<Outcome> outcomes = new ArrayList<>();
      for (SweepPlan.Part part : run.parts()) {
        if (part.last()) {
          outcomes.add(SweepOutcomes.forgotten(part.resolved(), modelName, version, sha, result));
        }
      }
      ledger.record(outcomes);
      forgotten.addAll(run.sampleIds());
      counts.merge(Status.FORGOTTEN, outcomes.size(), Integer::sum);
      done += outcomes.size();
      progress.accept(
          "published "
              + version
              + (result.alreadyPublished() ? " (by an earlier sweep)" : "")
              + "; recorded "
              + outcomes.size()
              + " forgotten");
    }
    int left = toUnlearn.size() - done;
    measure("done", counts, left, versions, runsMade);
    return new Result(
        counts, left, versions, runsMade, Seconds.round(Stopwatch.secondsSince(start)));
  }

  private UnlearnAction.Result unlearn(
      String parent,
      String modelName,
      List<String> forget,
      List<String> later,
      SweepPlan.Run run,
      SweepLock lock) {
    UnlearnAction action =
        LetheActions.get(spark)
            .unlearn()
            .model(parent)
            .modelName(modelName)
            .forget(settings.dataset())
            .forgetIds(forget)
            .notRetained(later)
            .requestIds(run.completedRequestIds())
            .output(settings.out())
            .test(settings.test())
            .heldOut(settings.heldOut())
            .retain(settings.retain())
            .method(settings.method())
            .goal(settings.goal())
            .preset(settings.preset())
            .tuning(settings.tuning())
            .seed(settings.seed())
            .runId(runId(run))
            .recordIds(true)
            .beforePublish(lock::check)
            .batchSize(settings.batchSize());
    if (settings.partitions() > 0) {
      action.partitions(settings.partitions());
    }
    if (settings.maxTestDrop() != null) {
      action.maxTestDrop(settings.maxTestDrop());
    }
    if (settings.maxRetainDrop() != null) {
      action.maxRetainDrop(settings.maxRetainDrop());
    }
    if (settings.heldOutFromTest() != null) {
      action.heldOutFromTest(settings.heldOutFromTest());
    }
    if (settings.retainFromDataset() != null) {
      action.retainFromForget(settings.retainFromDataset());
    }
    return action.execute();
  }

  /**
   * Crash completion: a pending request that a published version's manifest lists in {@code
   * request_ids} was forgotten by that version, but the sweep that published it stopped before
   * recording. Its outcome is recorded now from the manifest (version, model hash, metrics), and it
   * is not unlearned again. Returns the resolved requests that still need a run.
   */
  private List<SubjectResolver.Resolved> completeFromManifests(
      Ledger ledger, String modelName, SubjectResolver.Resolution resolution) {
    if (resolution.resolved().isEmpty()) {
      return List.of();
    }
    SweepOutcomes.FromManifests split =
        SweepOutcomes.fromManifests(
            new PublishedVersions(
                    spark.sparkContext().hadoopConfiguration(), settings.out(), modelName)
                .all(),
            modelName,
            resolution.resolved());
    if (!split.completed().isEmpty()) {
      ledger.record(split.completed());
      progress.accept(
          "recorded "
              + split.completed().size()
              + " requests published by an earlier sweep that stopped before recording: "
              + split.completed().stream().map(Outcome::requestId).toList());
    }
    return split.rest();
  }

  /** A run id fixed by what the run serves, so a restarted sweep finds its published version. */
  static String runId(SweepPlan.Run run) {
    String key =
        String.join("\n", run.requestIds()) + "\n--\n" + String.join("\n", run.sampleIds());
    return "sweep-" + ModelArtifact.sha256(key.getBytes(StandardCharsets.UTF_8)).substring(0, 16);
  }

  /** The sample ids of the model's forgotten requests: they stay in every later forget set. */
  static List<String> forgottenIds(Ledger ledger, String modelName) {
    return ledger
        .rows()
        .filter(col(Ledger.STATUS).equalTo(Status.FORGOTTEN.value()))
        .filter(col("model").equalTo(modelName))
        .select(explode(col("sample_ids")))
        .distinct()
        .as(Encoders.STRING())
        .collectAsList()
        .stream()
        .sorted()
        .toList();
  }

  /** The result as the command line prints it: counts per status, versions, seconds. */
  public static Map<String, Object> fields(Result r) {
    Map<String, Object> counts = new LinkedHashMap<>();
    r.counts().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> counts.put(e.getKey().value(), e.getValue()));
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("counts", counts);
    fields.put("pending", r.pending());
    fields.put("versions", r.versions());
    fields.put("runs", r.runs());
    fields.put("seconds", r.seconds());
    return fields;
  }
}
