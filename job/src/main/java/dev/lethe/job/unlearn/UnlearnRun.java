package dev.lethe.job.unlearn;

import ai.djl.engine.Engine;
import dev.lethe.attack.AdversarialExample;
import dev.lethe.chart.LossHistograms;
import dev.lethe.eval.Stopwatch;
import dev.lethe.importance.Importance;
import dev.lethe.job.model.ExecutorModel;
import dev.lethe.job.model.ModelArtifact;
import dev.lethe.job.model.TorchThreads;
import dev.lethe.job.report.CpuInfo;
import dev.lethe.job.report.DriverMemory;
import dev.lethe.job.report.JobJson;
import dev.lethe.job.report.LetheVersion;
import dev.lethe.job.report.NativeAllocator;
import dev.lethe.job.report.Seconds;
import dev.lethe.job.shutdown.Interruption;
import dev.lethe.job.spark.JobGroup;
import dev.lethe.model.SpecResolver;
import dev.lethe.unlearn.Trajectory;
import dev.lethe.unlearn.TuningOptions;
import dev.lethe.unlearn.UnlearningResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One unlearning run, stage by stage: validate on the driver ({@link InputReader}), stage A ({@link
 * AdversarialStage}), stage B ({@link ImportanceStage}), stage C ({@link FineTuneStage}), stage D
 * ({@link EvaluationStage}), then publish {@code model.pt}, {@code model.lethe.json} (the parent's
 * sidecar, if any), {@code report.json}, {@code report.html} ({@link ReportHtml}) and {@code
 * manifest.json} last as a new immutable version ({@link Publisher}). A run that does not reach its
 * goal publishes nothing and returns its report with status failed; the work folder goes either way
 * unless asked to keep it.
 */
public final class UnlearnRun {

  /**
   * The published model's sidecar, under Lethe's sidecar name of model.pt: the spec the run
   * resolved ({@link SpecResolver#derivedSidecar}).
   */
  public static final String PUBLISHED_SIDECAR =
      SpecResolver.sidecarPath(java.nio.file.Path.of("model.pt")).getFileName().toString();

  /** Spark job group of the driver-side validation. */
  public static final String VALIDATE_GROUP = "lethe-unlearn-validate";

  /**
   * The share of its test accuracy a model must keep to be published when no {@code
   * --max-test-drop} is given ({@link #halved}).
   */
  public static final double DEFAULT_KEPT = 0.5;

  /** What the error of a run that broke the default test gate ({@link #DEFAULT_KEPT}) says. */
  public static final String HALVED = "to under half of what it was (the default gate)";

  /** How the error of a run that forgot but broke the test-drop gate begins. */
  public static final String TEST_DROP_ERROR = "test accuracy fell";

  /**
   * How the error of a run that forgot but broke the retain-drop gate (and not the test-drop gate)
   * begins; a run that broke both has both reasons, test first, joined by "; ".
   */
  public static final String RETAIN_DROP_ERROR = "retain accuracy fell";

  private static final Logger LOG = LoggerFactory.getLogger(UnlearnRun.class);
  private static final DateTimeFormatter VERSION_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final SparkSession spark;
  private final UnlearnRequest request;
  private final Runnable beforePublish;
  private final Map<String, Object> measured;
  private final Map<String, Object> stageSeconds = new LinkedHashMap<>();
  private final Consumer<String> progress = line -> LOG.info("unlearn: {}", line);

  /**
   * A run that calls {@code beforePublish} right before it publishes; when that throws, nothing is
   * published and the exception leaves {@link #execute}.
   */
  public UnlearnRun(SparkSession spark, UnlearnRequest request, Runnable beforePublish) {
    this(spark, request, beforePublish, new LinkedHashMap<>());
  }

  /**
   * A run that also puts what it has measured so far into {@code measured}, as the report names it
   * ({@code run_id}, {@code model_uri}, {@code model_sha256}, {@code method}, {@code goal}, {@code
   * k}, {@code seed}, {@code forget}/{@code test}/{@code held_out}/{@code retain} sizes, {@code
   * seconds} of the stages done) and the {@code stage} it is in: what a caller reports about a run
   * that fails with an exception.
   */
  public UnlearnRun(
      SparkSession spark,
      UnlearnRequest request,
      Runnable beforePublish,
      Map<String, Object> measured) {
    this.spark = spark;
    this.request = request;
    this.beforePublish = beforePublish;
    this.measured = measured;
  }

  /**
   * The version this request's run id already published, if any: a retried run (an Airflow retry
   * with the same {@code --run-id}) returns it instead of unlearning again. Empty without a run id.
   */
  public Optional<UnlearnReport> alreadyPublished() {
    if (request.runId() == null) {
      return Optional.empty();
    }
    String modelName = modelNameOf(new Path(request.model()).getName());
    Optional<UnlearnReport> found =
        new PublishedVersions(spark.sparkContext().hadoopConfiguration(), request.out(), modelName)
            .byRunId(request.runId());
    found.ifPresent(
        r -> progress.accept("run id " + request.runId() + " already published " + r.version()));
    return found;
  }

  /**
   * Runs every stage and publishes when the goal was reached.
   *
   * @return the report: status published with the version, or failed with the reason in {@code
   *     error} and nothing published
   */
  public UnlearnReport execute() {
    long start = System.nanoTime();
    Instant started = Instant.now();
    String runId =
        request.runId() != null ? request.runId() : UUID.randomUUID().toString().substring(0, 8);
    String version = VERSION_TIME.format(started) + "-" + runId;
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    TorchThreads.configure(jsc.getConf());
    NativeAllocator.advice().ifPresent(line -> LOG.warn("unlearn: {}", line));

    measured.put("stage", "validate");
    measured.put("run_id", runId);
    measured.put("model_uri", request.model());
    try (ModelArtifact artifact = ModelArtifact.fetch(request.model(), hadoop)) {
      measured.put("model_sha256", artifact.sha256());
      UnlearnInputs in;
      RunSettings settings;
      try (JobGroup g =
          JobGroup.start(jsc, VALIDATE_GROUP, "Lethe unlearn: validate " + request.model())) {
        in = new InputReader(spark, request).read(artifact);
        settings =
            RunSettings.resolve(
                    request.preset(),
                    request.goal(),
                    request.method(),
                    request.tuning(),
                    in.spec().input())
                .withSeed(request.seed());
        progress.accept(
            String.format(
                "validated: model %s (%s, sha256 %s), %d forget instances, test %d, held-out %d,"
                    + " retain %d; version %s",
                request.model(),
                in.spec().input(),
                artifact.sha256().substring(0, 12),
                in.forget().size(),
                in.testSize(),
                in.heldOut().size(),
                in.retain().size(),
                version));
        String advice =
            heldOutAdvice(in.heldOut().size(), in.retain().size(), in.testSize(), settings);
        if (advice != null) {
          progress.accept(advice);
        }
      }
      measureInputs(in);
      String modelName = modelNameOf(artifact.fileName());
      Path modelDir = new Path(new Path(request.out()), modelName);
      Path work =
          request.work() != null
              ? new Path(new Path(request.work()), version)
              : new Path(modelDir, ".work-" + version);
      // Work folders of this model's runs that were killed (kill -9) go; live runs' stay.
      WorkFolder.sweep(hadoop, modelDir, Instant.now(), progress);
      WorkFolder folder = WorkFolder.claim(hadoop, work, runId, request.keepWork(), progress);
      try {
        Unlearned done = stages(jsc, artifact, in, settings, work, runId, start);
        if (!done.report().succeeded()) {
          return done.report();
        }
        String broken = gatesBroken(done.report().measured());
        if (broken != null) {
          progress.accept("publish gate broken, nothing published: " + broken);
          UnlearnReport r = done.report();
          return new UnlearnReport(
              r.measured().failed(broken),
              r.runId(),
              r.modelUri(),
              r.modelSha256(),
              r.memory(),
              null,
              null,
              null,
              null);
        }
        return publish(
            hadoop, artifact, in, settings, done, modelName, version, work, started, start);
      } finally {
        folder.close();
        removeIfEmpty(hadoop, modelDir);
      }
    }
  }

  /**
   * Removes the model's folder under --out when the run leaves it empty (it failed before any
   * version of this model was published there): only the work folder had made it.
   */
  private static void removeIfEmpty(Configuration hadoop, Path modelDir) {
    try {
      FileSystem fs = modelDir.getFileSystem(hadoop);
      if (fs.exists(modelDir) && fs.listStatus(modelDir).length == 0) {
        fs.delete(modelDir, false);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("Cannot remove the empty folder {}: {}", modelDir, e.toString());
    }
  }

  /** Puts the validated inputs' sizes into {@link #measured}, as the report names them. */
  private void measureInputs(UnlearnInputs in) {
    measured.put("method", request.method().cliName());
    measured.put("goal", request.goal().cliName());
    measured.put("k", in.forget().size());
    measured.put("seed", request.seed());
    measured.put("forget", Map.of("size", in.forget().size()));
    if (in.testSize() > 0) {
      measured.put("test", Map.of("size", Math.toIntExact(in.testSize())));
    }
    if (!in.heldOut().isEmpty()) {
      measured.put("held_out", Map.of("size", in.heldOut().size()));
    }
    if (!in.retain().isEmpty()) {
      measured.put("retain", Map.of("size", in.retain().size()));
    }
    measured.put("seconds", stageSeconds);
  }

  /** Whether {@code error} is the error of a run that forgot but broke a publish gate. */
  public static boolean isGateError(String error) {
    return error != null
        && (error.startsWith(TEST_DROP_ERROR) || error.startsWith(RETAIN_DROP_ERROR));
  }

  /**
   * Why the run breaks the publish gates (test drop, then retain drop), or null when it keeps them
   * (or there are none).
   */
  private String gatesBroken(UnlearnReport.Measured measured) {
    List<String> broken = new ArrayList<>();
    if (request.maxTestDrop() == null) {
      halved(measured.test()).ifPresent(broken::add);
    }
    dropBroken(TEST_DROP_ERROR, "max-test-drop", request.maxTestDrop(), measured.test())
        .ifPresent(broken::add);
    dropBroken(RETAIN_DROP_ERROR, "max-retain-drop", request.maxRetainDrop(), measured.retain())
        .ifPresent(broken::add);
    return broken.isEmpty() ? null : String.join("; ", broken);
  }

  /**
   * The default test gate, when no {@code --max-test-drop} was given: a model left with under half
   * its test accuracy has broken down (a learning rate too high, a preset far from its model), and
   * publishing it would replace a working model with a broken one. The legitimate cost of
   * forgetting stays far from it: the worst run at Lethe's defaults on record kept 0.64 of its
   * accuracy (k = 128 without a held-out sample, docs/DEFAULTS.md).
   */
  private static Optional<String> halved(UnlearnReport.Accuracy accuracy) {
    if (accuracy == null || accuracy.accuracyAfter() >= accuracy.accuracyBefore() * DEFAULT_KEPT) {
      return Optional.empty();
    }
    return Optional.of(fell(TEST_DROP_ERROR, accuracy, HALVED + ": the fine-tune broke the model"));
  }

  /** Why one drop gate is broken: the points lost, before -> after, and the limit. */
  private static Optional<String> dropBroken(
      String error, String gate, Double limit, UnlearnReport.Accuracy accuracy) {
    if (limit == null || accuracy == null) {
      return Optional.empty();
    }
    double points = (accuracy.accuracyBefore() - accuracy.accuracyAfter()) * 100.0;
    if (points <= limit) {
      return Optional.empty();
    }
    return Optional.of(fell(error, accuracy, "more than " + gate + " " + limit));
  }

  /** "{@code error} P points (before -> after), {@code why}", the gates' common form. */
  private static String fell(String error, UnlearnReport.Accuracy accuracy, String why) {
    return String.format(
        Locale.ROOT,
        "%s %.2f points (%.4f -> %.4f), %s",
        error,
        (accuracy.accuracyBefore() - accuracy.accuracyAfter()) * 100.0,
        accuracy.accuracyBefore(),
        accuracy.accuracyAfter(),
        why);
  }

  /**
   * The report after stage D, the unlearned model's bytes, and the charts' data: the fine-tune's
   * trajectory and stage D's loss histograms (null without a non-member sample).
   */
  private record Unlearned(
      UnlearnReport report, byte[] model, Trajectory trajectory, LossHistograms losses) {}

  private Unlearned stages(
      JavaSparkContext jsc,
      ModelArtifact artifact,
      UnlearnInputs in,
      RunSettings settings,
      Path work,
      String runId,
      long start) {
    ExecutorModel original = ExecutorModel.broadcast(jsc, artifact, in.spec());
    try {
      List<AdversarialExample> adversarial = null;
      Importance importance = null;
      double adversarialSeconds = 0;
      double importanceSeconds = 0;
      if (request.method().usesAdversarialExamples()) {
        measured.put("stage", "adversarial");
        AdversarialStage.Output a =
            AdversarialStage.run(
                spark,
                original,
                in.forget(),
                settings.pgd(),
                request.partitions(),
                request.batchSize(),
                new Path(work, "adversarial").toString(),
                progress);
        adversarial = a.examples();
        adversarialSeconds = a.seconds();
        stageSeconds.put("adversarial", Seconds.round(adversarialSeconds));
      }
      if (request.method().usesImportance()) {
        measured.put("stage", "importance");
        ImportanceStage.Output b =
            ImportanceStage.run(
                jsc,
                original,
                in.forget(),
                settings.candidates().get(0).masMode(),
                request.partitions(),
                request.batchSize(),
                progress);
        importance = b.importance();
        importanceSeconds = b.seconds();
        stageSeconds.put("importance", Seconds.round(importanceSeconds));
      }
      measured.put("stage", "finetune");
      FineTuneStage.Output c =
          FineTuneStage.run(
              jsc, artifact, request, in, settings, adversarial, importance, progress);
      measured.put("stage", "evaluate");
      EvaluationStage.Output d =
          EvaluationStage.run(
              jsc,
              in,
              original,
              c.model(),
              c.result(),
              request.batchSize(),
              request.seed(),
              progress);
      UnlearningResult result = d.result();
      UnlearnReport.Memory memory =
          DriverMemory.peakRssMib().stream()
              .mapToObj(UnlearnReport.Memory::new)
              .findFirst()
              .orElse(null);
      UnlearnReport.Measured measured =
          UnlearnReport.Measured.of(result)
              .withSeconds(
                  Seconds.round(adversarialSeconds),
                  Seconds.round(importanceSeconds),
                  Seconds.round(Stopwatch.secondsSince(start)));
      UnlearnReport report =
          new UnlearnReport(
              measured, runId, request.model(), artifact.sha256(), memory, null, null, null, null);
      return new Unlearned(report, c.model(), c.trajectory(), d.losses());
    } finally {
      original.release();
    }
  }

  private UnlearnReport publish(
      Configuration hadoop,
      ModelArtifact artifact,
      UnlearnInputs in,
      RunSettings settings,
      Unlearned done,
      String modelName,
      String version,
      Path work,
      Instant started,
      long start) {
    measured.put("stage", "publish");
    beforePublish.run();
    Interruption.checkNotStopping("publish " + modelName);
    removeUnfinished(hadoop, modelName, work);
    Path versionDir = new Path(new Path(new Path(request.out()), modelName), version);
    UnlearnReport r = done.report();
    UnlearnReport.StageSeconds seconds = r.measured().seconds();
    UnlearnReport report =
        new UnlearnReport(
            r.measured()
                .withSeconds(
                    seconds.adversarial(),
                    seconds.importance(),
                    Seconds.round(Stopwatch.secondsSince(start))),
            r.runId(),
            new Path(versionDir, "model.pt").toString(),
            // The published model's own hash next to its URI; the parent's moves to its own field.
            ModelArtifact.sha256(done.model()),
            r.memory(),
            version,
            request.model(),
            r.modelSha256(),
            new Path(versionDir, Publisher.MANIFEST).toString());
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("model.pt", done.model());
    files.put(
        PUBLISHED_SIDECAR,
        SpecResolver.derivedSidecar(in.spec(), artifact.sidecarBytes().orElse(null)));
    files.put("report.json", JobJson.indented(report));
    Manifest manifest =
        manifest(report.runId(), version, modelName, artifact, in, settings, report, started);
    files.put(
        ReportHtml.FILE, ReportHtml.render(manifest, report, done.trajectory(), done.losses()));
    String published =
        new Publisher(hadoop)
            .publish(
                request.out(),
                modelName,
                version,
                files,
                entries -> JobJson.indented(manifest.withFiles(entries)));
    progress.accept("published " + published);
    return report;
  }

  /**
   * Removes what earlier attempts of this run id left when they died while publishing (a version
   * folder without a manifest, a temporary or work folder), so that a retry publishes once and
   * leaves one folder. A run without {@code --run-id} has a fresh id, so nothing is its own.
   */
  private void removeUnfinished(Configuration hadoop, String modelName, Path work) {
    if (request.runId() == null) {
      return;
    }
    for (Path left :
        new PublishedVersions(hadoop, request.out(), modelName).unfinished(request.runId(), work)) {
      progress.accept(
          "removing "
              + left
              + ", left unfinished by an earlier attempt of run id "
              + request.runId());
      Publisher.deleteQuietly(hadoop, left);
    }
  }

  private Manifest manifest(
      String runId,
      String version,
      String modelName,
      ModelArtifact artifact,
      UnlearnInputs in,
      RunSettings settings,
      UnlearnReport report,
      Instant started) {
    Instant finished = Instant.now();
    TreeSet<String> ids = new TreeSet<>();
    in.forget().forEach(s -> ids.add(s.id()));
    Manifest.Forget forget =
        new Manifest.Forget(
            request.forget(),
            in.forget().size(),
            ModelArtifact.sha256(String.join("\n", ids).getBytes(StandardCharsets.UTF_8)),
            "SHA-256 of the sorted ids joined by newlines",
            request.recordIds() ? List.copyOf(ids) : null);
    Manifest.HeldOut heldOut = null;
    if (!in.heldOut().isEmpty()) {
      // The fine-tune holds the model's outputs on these images, so they are an input of the model.
      heldOut =
          new Manifest.HeldOut(in.heldOutUri(request), in.heldOut().size(), in.heldOutFromTest());
    }
    Manifest.Retain retain =
        in.retain().isEmpty()
            ? null
            : new Manifest.Retain(in.retainUri(request), in.retain().size(), in.retainFromForget());
    var pgd = settings.pgd();
    return new Manifest(
        Manifest.FORMAT,
        runId,
        modelName,
        version,
        "<UTC start time>-<run id>, run id "
            + (request.runId() != null ? "given (--run-id)" : "random"),
        started.toString(),
        finished.toString(),
        new Manifest.Parent(request.model(), artifact.sha256()),
        forget,
        request.requestIds().isEmpty() ? null : request.requestIds(),
        heldOut,
        retain,
        request.method().cliName(),
        request.goal().cliName(),
        report.measured().targeted(),
        request.seed(),
        request.presetName(),
        report.measured().settings().deepCopy(),
        request.tuning(),
        new Manifest.Pgd(
            TuningOptions.spelling(pgd.norm()),
            pgd.epsilon(),
            pgd.stepSize(),
            pgd.steps(),
            pgd.perInstance(),
            pgd.seed()),
        Manifest.Metrics.of(report.measured()),
        new Manifest.Versions(
            LetheVersion.get(),
            Engine.getDjlVersion(),
            "PyTorch " + Engine.getEngine("PyTorch").getVersion(),
            spark.version(),
            System.getProperty("java.version"),
            CpuInfo.describe()),
        report.measured().device(),
        null);
  }

  /** The model's folder name: the request's, else {@link #modelName} of the file name. */
  String modelNameOf(String fileName) {
    return request.modelName() != null ? request.modelName() : modelName(fileName);
  }

  /** The model's name in the output tree: its file name without the extension, made path-safe. */
  public static String modelName(String fileName) {
    int dot = fileName.lastIndexOf('.');
    String name = dot > 0 ? fileName.substring(0, dot) : fileName;
    return name.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  /**
   * What to change when a run that holds images at the original model's outputs has neither a
   * held-out sample nor a retain sample to hold (it holds stand-ins made from the forget set
   * instead, which cost far more test accuracy on the demo model), or null when there is nothing to
   * advise.
   */
  static String heldOutAdvice(int heldOut, int retain, long testSize, RunSettings settings) {
    boolean holds = settings.candidates().stream().anyMatch(s -> s.heldOutBatch() > 0);
    if (heldOut > 0 || retain > 0 || !holds) {
      return null;
    }
    return "no held-out sample and no retain sample: the fine-tune holds mixtures of forget images"
        + " at the original model's outputs instead, which on the demo model kept 6-20 points"
        + " less test accuracy at 64-256 instances than 1,000 held-out or retained images"
        + " (docs/DEFAULTS.md, \"Stand-ins\"); give --retain URI with a thousand or so retained"
        + " training images, or --forget data that holds them besides the forgotten rows (1,000"
        + " are then drawn, --retain-from-forget); or "
        + (testSize >= InputReader.AUTO_MIN_TEST
            ? "leave out --held-out-from-test 0, or give --held-out-from-test "
                + InputReader.AUTO_HELD_OUT
                + ", to hold test images the model never saw (test accuracy is then measured on"
                + " the rest)"
            : testSize > 1
                ? "give --held-out-from-test "
                    + testSize / 2
                    + " to hold half of the "
                    + testSize
                    + " test images (test accuracy is then measured on the rest), or --held-out"
                    + " URI with a thousand or so images like the model's inputs that it never saw"
                : "give --held-out URI with labelled images like the model's inputs that it never"
                    + " saw, a thousand or so (64 were too few at 128 instances; images of another"
                    + " kind do not help; the membership-inference attack uses them as non-members)");
  }
}
