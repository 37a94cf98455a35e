package dev.lethe.job.unlearn;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lethe.attack.AdversarialExample;
import dev.lethe.attack.PgdAttack;
import dev.lethe.attack.PgdSettings;
import dev.lethe.data.ImageShape;
import dev.lethe.data.Sample;
import dev.lethe.eval.Evaluation;
import dev.lethe.eval.MembershipInference;
import dev.lethe.importance.Importance;
import dev.lethe.importance.ImportanceSums;
import dev.lethe.importance.Mas;
import dev.lethe.job.JobGroup;
import dev.lethe.job.LetheMain;
import dev.lethe.job.RunFailedException;
import dev.lethe.job.UsageException;
import dev.lethe.job.data.SampleReader;
import dev.lethe.job.eval.DistributedScores;
import dev.lethe.job.model.ExecutorModel;
import dev.lethe.job.model.ModelArtifact;
import dev.lethe.job.model.TorchThreads;
import dev.lethe.model.Classifier;
import dev.lethe.model.ModelSpec;
import dev.lethe.model.SpecResolver;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.Method;
import dev.lethe.unlearn.ResultJson;
import dev.lethe.unlearn.TuningOptions;
import dev.lethe.unlearn.UnlearnSettings;
import dev.lethe.unlearn.Unlearning;
import dev.lethe.unlearn.UnlearningResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code lethe unlearn} run: validate on the driver, stage A (PGD on the executors,
 * checkpointed as Parquet in the run's work folder), stage B (MAS sums on the executors, added on
 * the driver), stage C (the fine-tune on the driver with {@link Unlearning}, every driver core),
 * stage D (both models scored on the executors), then publish {@code model.pt}, {@code model.json}
 * (the parent's sidecar, if any), {@code report.json} and {@code manifest.json} last, as a new
 * immutable version. A run that does not reach its goal publishes nothing; the work folder goes
 * either way unless {@code --keep-work}.
 */
public final class UnlearnRun {

  /** Spark job group of the driver-side validation. */
  public static final String VALIDATE_GROUP = "lethe-unlearn-validate";

  /** Spark job group of stage C. */
  public static final String FINETUNE_GROUP = "lethe-unlearn-finetune";

  /** Spark job group of stage D. */
  public static final String EVALUATE_GROUP = "lethe-unlearn-evaluate";

  private static final Logger LOG = LoggerFactory.getLogger(UnlearnRun.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter VERSION_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  /** What the command line gave. {@code targetClass}, {@code preset}, {@code runId} may be null. */
  public record Config(
      String model,
      String forget,
      String out,
      String test,
      String heldOut,
      String retain,
      String labels,
      Method method,
      Goal goal,
      boolean targeted,
      Integer targetClass,
      String preset,
      long seed,
      String runId,
      Map<String, String> tuning,
      int partitions,
      int limit,
      List<String> forgetIds,
      int batchSize,
      int sample,
      String work,
      boolean keepWork,
      boolean recordIds,
      int heldOutFromTest) {}

  /** Candidate settings (one when a preset was given) and PGD settings, overrides applied. */
  public record Settings(List<UnlearnSettings> candidates, PgdSettings pgd) {}

  private final SparkSession spark;
  private final Config config;
  private final Consumer<String> progress = line -> LOG.info("unlearn: {}", line);

  public UnlearnRun(SparkSession spark, Config config) {
    this.spark = spark;
    this.config = config;
  }

  /**
   * The settings of a run: the preset's candidates for the goal (one, or two for {@code calibrate})
   * with the tuning options applied.
   */
  public static Settings settings(
      String preset, Goal goal, Map<String, String> tuning, ImageShape shape) {
    List<UnlearnSettings> bases;
    try {
      bases = UnlearnSettings.presetCandidates(preset == null ? "lethe" : preset, goal);
    } catch (IllegalArgumentException e) {
      throw new UsageException("Cannot run unlearn: option --preset: " + e.getMessage());
    }
    List<UnlearnSettings> out = new ArrayList<>();
    PgdSettings pgd = null;
    for (UnlearnSettings base : bases) {
      try {
        TuningOptions.Applied applied =
            TuningOptions.apply(base, PgdSettings.defaults(shape), tuning);
        out.add(applied.settings());
        pgd = applied.pgd();
      } catch (IllegalArgumentException e) {
        throw new UsageException("Cannot run unlearn: option --set: " + e.getMessage());
      }
    }
    return new Settings(List.copyOf(new LinkedHashSet<>(out)), pgd);
  }

  /** Runs everything; returns the report's fields (status "published"). */
  public Map<String, Object> execute() {
    long start = System.nanoTime();
    Instant started = Instant.now();
    String runId =
        config.runId() != null ? config.runId() : UUID.randomUUID().toString().substring(0, 8);
    String version = VERSION_TIME.format(started) + "-" + runId;
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    TorchThreads.configure(jsc.getConf());

    try (ModelArtifact artifact = ModelArtifact.fetch(config.model(), hadoop)) {
      Validated in;
      try (JobGroup g =
          JobGroup.start(jsc, VALIDATE_GROUP, "Lethe unlearn: validate " + config.model())) {
        in = validate(artifact, version);
      }
      String modelName = modelName(artifact.fileName());
      Path work =
          config.work() != null
              ? new Path(new Path(config.work()), version)
              : new Path(new Path(new Path(config.out()), modelName), ".work-" + version);
      try {
        return run(jsc, hadoop, artifact, in, work, runId, version, started, start);
      } finally {
        if (config.keepWork()) {
          progress.accept("work folder kept: " + work);
        } else {
          Publisher.deleteQuietly(hadoop, work);
        }
      }
    }
  }

  /** What validation read and resolved. */
  private record Validated(
      SpecResolver.Partial options,
      ModelSpec spec,
      List<Sample> forget,
      List<Sample> test,
      List<Sample> heldOut,
      List<Sample> retain,
      Settings settings,
      PgdSettings pgd) {}

  private Validated validate(ModelArtifact artifact, String version) {
    SpecResolver.Partial sidecar = artifact.sidecar();
    List<Sample> forget = readForget(sidecar.classNames());
    SpecResolver.Partial options = SpecResolver.Partial.empty("the command-line options");
    if (sidecar.input() == null) {
      options =
          SpecResolver.merge(
              options,
              SpecResolver.Partial.empty("forget data " + config.forget())
                  .withInput(forget.get(0).shape()));
    }
    ModelSpec spec;
    try (Classifier classifier = artifact.load(options, false)) {
      spec = classifier.spec();
    }
    check(forget, spec, "forget data " + config.forget());
    if (config.targetClass() != null && config.targetClass() >= spec.numClasses()) {
      throw new UsageException(
          "Cannot run unlearn: option --target-class is "
              + config.targetClass()
              + " but model "
              + config.model()
              + " has classes 0.."
              + (spec.numClasses() - 1));
    }
    List<Sample> test = readOptional(config.test(), "test data", spec);
    List<Sample> heldOut = readOptional(config.heldOut(), "held-out data", spec);
    if (config.heldOutFromTest() > 0) {
      if (config.heldOutFromTest() >= test.size()) {
        throw new UsageException(
            "Cannot run unlearn: --held-out-from-test "
                + config.heldOutFromTest()
                + " leaves no test images of the "
                + test.size()
                + " in "
                + config.test()
                + "; give a smaller number");
      }
      RandomDraw.Split split = RandomDraw.split(test, config.heldOutFromTest(), config.seed());
      heldOut = split.drawn();
      test = split.rest();
    }
    List<Sample> retain = readOptional(config.retain(), "retain data", spec);
    Settings settings = settings(config.preset(), config.goal(), config.tuning(), spec.input());
    PgdSettings pgd = settings.pgd().withSeed(config.seed());
    progress.accept(
        String.format(
            "validated: model %s (%s, sha256 %s), %d forget instances, test %d, held-out %d,"
                + " retain %d; version %s",
            config.model(),
            spec.input(),
            artifact.sha256().substring(0, 12),
            forget.size(),
            test.size(),
            heldOut.size(),
            retain.size(),
            version));
    return new Validated(options, spec, forget, test, heldOut, retain, settings, pgd);
  }

  private Map<String, Object> run(
      JavaSparkContext jsc,
      Configuration hadoop,
      ModelArtifact artifact,
      Validated in,
      Path work,
      String runId,
      String version,
      Instant started,
      long start) {
    List<Sample> forget = in.forget();
    ExecutorModel original = ExecutorModel.broadcast(jsc, artifact, in.spec());
    try {
      List<AdversarialExample> adversarial = null;
      Importance importance = null;
      double adversarialSeconds = 0;
      double importanceSeconds = 0;
      if (config.method().usesAdversarialExamples()) {
        long t0 = System.nanoTime();
        String checkpoint = new Path(work, "adversarial").toString();
        adversarial =
            DistributedStages.adversarial(
                spark,
                original,
                forget,
                in.pgd(),
                config.partitions(),
                config.batchSize(),
                checkpoint);
        adversarialSeconds = seconds(t0);
        progress.accept(
            String.format(
                "stage A: %d adversarial examples (%.1f per second), attack success %.3f (%.1f s),"
                    + " checkpoint %s",
                adversarial.size(),
                adversarial.size() / Math.max(adversarialSeconds, 1e-9),
                PgdAttack.successRate(adversarial),
                adversarialSeconds,
                checkpoint));
      }
      if (config.method().usesImportance()) {
        long t0 = System.nanoTime();
        ImportanceSums sums =
            DistributedStages.importanceSums(
                jsc,
                original,
                forget,
                in.settings().candidates().get(0).masMode(),
                config.partitions(),
                config.batchSize());
        importance = Mas.finish(sums);
        importanceSeconds = seconds(t0);
        progress.accept(
            String.format(
                "stage B: MAS importance over %d instances, %d tensors (%.1f s)",
                sums.count(), sums.sums().size(), importanceSeconds));
      }

      UnlearningResult result;
      byte[] modelBytes;
      // No task runs during stage C: the driver's fine-tune gets every driver core, not the
      // per-task share TorchThreads gave libtorch (in local mode the driver is the executor too).
      int taskThreads = JniUtils.getNumThreads();
      int driverThreads = jsc.getConf().getInt("spark.driver.cores", 0);
      JniUtils.setNumThreads(
          driverThreads > 0 ? driverThreads : Runtime.getRuntime().availableProcessors());
      try (JobGroup g =
              JobGroup.start(
                  jsc, FINETUNE_GROUP, "Lethe unlearn, stage C: fine-tune on the driver");
          Classifier model = artifact.load(in.options(), true)) {
        Unlearning unlearning =
            new Unlearning(model, forget)
                .optMethod(config.method())
                .optGoal(config.goal())
                .optRetain(in.retain())
                .optHeldOut(in.heldOut())
                .optEvaluation(false)
                .optSeed(config.seed())
                .optPgd(in.pgd())
                .optProgress(progress);
        if (config.targetClass() != null) {
          unlearning.optTargetClass(config.targetClass());
        } else if (config.targeted()) {
          unlearning.optTargeted();
        }
        if (in.settings().candidates().size() == 1) {
          unlearning.optSettings(in.settings().candidates().get(0));
        } else {
          unlearning.optCandidates(in.settings().candidates());
        }
        if (adversarial != null) {
          unlearning.optAdversarial(adversarial);
        }
        if (importance != null) {
          unlearning.optImportance(importance);
        }
        result = unlearning.run();
        modelBytes = model.toBytes();
      } finally {
        JniUtils.setNumThreads(taskThreads);
      }
      progress.accept(
          String.format(
              "stage C: %s; forget accuracy %.4f -> %.4f",
              result.succeeded() ? "reached the goal" : "did not reach the goal",
              result.forget().before(),
              result.forget().after()));

      result = evaluate(jsc, in, original, modelBytes, result);
      ObjectNode report = ResultJson.toJson(result);
      ObjectNode secs = (ObjectNode) report.get("seconds");
      secs.put("adversarial", round(adversarialSeconds));
      secs.put("importance", round(importanceSeconds));
      report.put("run_id", runId);
      report.put("model_uri", config.model());
      report.put("model_sha256", artifact.sha256());
      driverMemory(report);
      if (!result.succeeded()) {
        secs.put("total", round(seconds(start)));
        report.putNull("version");
        report.putNull("manifest_uri");
        throw new RunFailedException(
            "Cannot publish an unlearned model: "
                + result.message()
                + "; nothing was published (raise max-epochs or learning-rate with --set)",
            LetheMain.EXIT_NOT_REACHED,
            toMap(report));
      }
      return publish(
          hadoop, artifact, in, report, modelBytes, runId, version, started, secs, start);
    } finally {
      original.release();
    }
  }

  /**
   * Stage D: forget, test and retain accuracy and the membership-inference attack of the original
   * and the unlearned model, computed on the executors.
   */
  private UnlearningResult evaluate(
      JavaSparkContext jsc,
      Validated in,
      ExecutorModel original,
      byte[] unlearnedBytes,
      UnlearningResult result) {
    long t0 = System.nanoTime();
    List<Sample> nonMembers = in.heldOut().isEmpty() ? in.test() : in.heldOut();
    ExecutorModel unlearned =
        ExecutorModel.broadcast(jsc, "unlearned-" + original.name(), unlearnedBytes, in.spec());
    try (JobGroup g =
        JobGroup.start(
            jsc,
            EVALUATE_GROUP,
            "Lethe unlearn, stage D: evaluate "
                + original.name()
                + " before and after on the executors")) {
      Map<String, List<Sample>> sets = new LinkedHashMap<>();
      sets.put("forget", in.forget());
      sets.put("test", in.test());
      sets.put("retain", in.retain());
      if (in.forget().size() >= 2 && nonMembers.size() >= 2 && nonMembers != in.test()) {
        sets.put("non-members", nonMembers);
      }
      Map<String, Evaluation.Scores[]> scores = new LinkedHashMap<>();
      for (Map.Entry<String, List<Sample>> set : sets.entrySet()) {
        if (set.getValue().isEmpty()) {
          continue;
        }
        int partitions =
            Math.max(1, Math.min(jsc.defaultParallelism(), set.getValue().size() / 64 + 1));
        JavaRDD<Sample> rdd = jsc.parallelize(set.getValue(), partitions);
        rdd.cache();
        try {
          scores.put(
              set.getKey(),
              new Evaluation.Scores[] {
                DistributedScores.score(rdd, original, config.batchSize()),
                DistributedScores.score(rdd, unlearned, config.batchSize())
              });
        } finally {
          rdd.unpersist(false);
        }
      }
      Evaluation.Scores[] f = scores.get("forget");
      Evaluation.Scores[] nm =
          scores.containsKey("non-members") ? scores.get("non-members") : scores.get("test");
      MembershipInference.Result miaBefore = null;
      MembershipInference.Result miaAfter = null;
      if (nm != null && f[0].losses().length >= 2 && nm[0].losses().length >= 2) {
        miaBefore = MembershipInference.attack(f[0].losses(), nm[0].losses(), 5, config.seed());
        miaAfter = MembershipInference.attack(f[1].losses(), nm[1].losses(), 5, config.seed());
      }
      double secondsD = seconds(t0);
      progress.accept(
          String.format(
              "stage D: evaluated %s on the executors (%.1f s)",
              String.join(", ", scores.keySet()), secondsD));
      return result.withEvaluation(
          accuracy(scores.get("forget")),
          accuracy(scores.get("test")),
          accuracy(scores.get("retain")),
          miaBefore,
          miaAfter,
          secondsD);
    } finally {
      unlearned.release();
    }
  }

  private static UnlearningResult.Accuracy accuracy(Evaluation.Scores[] beforeAfter) {
    if (beforeAfter == null) {
      return UnlearningResult.Accuracy.absent();
    }
    return new UnlearningResult.Accuracy(
        beforeAfter[0].accuracy(), beforeAfter[1].accuracy(), beforeAfter[0].correct().length);
  }

  private Map<String, Object> publish(
      Configuration hadoop,
      ModelArtifact artifact,
      Validated in,
      ObjectNode report,
      byte[] modelBytes,
      String runId,
      String version,
      Instant started,
      ObjectNode secs,
      long start) {
    String modelName = modelName(artifact.fileName());
    Path versionDir = new Path(new Path(new Path(config.out()), modelName), version);
    report.put("version", version);
    report.put("model_uri", new Path(versionDir, "model.pt").toString());
    report.put("parent_model_uri", config.model());
    report.put("manifest_uri", new Path(versionDir, Publisher.MANIFEST).toString());
    secs.put("total", round(seconds(start)));

    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("model.pt", modelBytes);
    artifact.sidecarBytes().ifPresent(sidecar -> files.put("model.json", sidecar));
    files.put("report.json", bytes(report));
    Instant finished = Instant.now();
    ObjectNode manifestBase =
        manifest(
            runId,
            version,
            modelName,
            artifact,
            in.forget(),
            in.heldOut().size(),
            in.settings(),
            in.pgd(),
            report,
            started,
            finished);
    String published =
        new Publisher(hadoop)
            .publish(
                config.out(),
                modelName,
                version,
                files,
                entries -> {
                  ArrayNode list = manifestBase.putArray("files");
                  for (Publisher.FileEntry e : entries) {
                    list.addObject()
                        .put("name", e.name())
                        .put("sha256", e.sha256())
                        .put("size", e.size());
                  }
                  return bytes(manifestBase);
                });
    progress.accept("published " + published);
    return toMap(report);
  }

  /** The driver JVM's peak resident memory (Linux), in the report as memory.driver_peak_rss_mib. */
  private static void driverMemory(ObjectNode report) {
    java.nio.file.Path status = java.nio.file.Path.of("/proc/self/status");
    try {
      for (String line : java.nio.file.Files.readAllLines(status)) {
        if (line.startsWith("VmHWM:")) {
          long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
          report.putObject("memory").put("driver_peak_rss_mib", Math.round(kib / 1024.0));
          return;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: the report has no memory section
    }
  }

  private ObjectNode manifest(
      String runId,
      String version,
      String modelName,
      ModelArtifact artifact,
      List<Sample> forget,
      int heldOutCount,
      Settings settings,
      PgdSettings pgd,
      ObjectNode report,
      Instant started,
      Instant finished) {
    ObjectNode m = JSON.createObjectNode();
    m.put("format", "lethe-manifest/1");
    m.put("run_id", runId);
    m.put("model_name", modelName);
    m.put("version", version);
    m.put("started", started.toString());
    m.put("finished", finished.toString());
    ObjectNode parent = m.putObject("parent");
    parent.put("uri", config.model());
    parent.put("sha256", artifact.sha256());
    ObjectNode f = m.putObject("forget");
    f.put("uri", config.forget());
    f.put("count", forget.size());
    TreeSet<String> ids = new TreeSet<>();
    forget.forEach(s -> ids.add(s.id()));
    f.put(
        "ids_sha256",
        ModelArtifact.sha256(String.join("\n", ids).getBytes(StandardCharsets.UTF_8)));
    f.put("ids_hashed", "SHA-256 of the sorted ids joined by newlines");
    if (config.recordIds()) {
      ArrayNode list = f.putArray("ids");
      ids.forEach(list::add);
    }
    if (heldOutCount > 0) {
      // The fine-tune holds the model's outputs on these images, so they are an input of the model.
      ObjectNode h = m.putObject("held_out");
      h.put("uri", config.heldOutFromTest() > 0 ? config.test() : config.heldOut());
      h.put("count", heldOutCount);
      h.put("drawn_from_test", config.heldOutFromTest() > 0);
    }
    m.put("method", config.method().cliName());
    m.put("goal", config.goal().cliName());
    m.put("targeted", report.get("targeted").asBoolean());
    m.put("seed", config.seed());
    m.put("preset", config.preset() == null ? "lethe" : config.preset());
    m.set("settings", report.get("settings").deepCopy());
    ObjectNode tuning = m.putObject("tuning_options");
    config.tuning().forEach(tuning::put);
    ObjectNode p = m.putObject("pgd");
    p.put("norm", TuningOptions.spelling(pgd.norm()));
    p.put("epsilon", pgd.epsilon());
    p.put("step_size", pgd.stepSize());
    p.put("steps", pgd.steps());
    p.put("per_instance", pgd.perInstance());
    p.put("seed", pgd.seed());
    ObjectNode metrics = m.putObject("metrics");
    for (String key : List.of("forget", "test", "retain", "mia", "adversarial", "seconds")) {
      if (report.has(key)) {
        metrics.set(key, report.get(key).deepCopy());
      }
    }
    metrics.put("steps", report.get("steps").asInt());
    metrics.put("epochs", report.get("epochs").asInt());
    ObjectNode v = m.putObject("versions");
    String lethe = LetheMain.class.getPackage().getImplementationVersion();
    v.put("lethe", lethe == null ? "dev" : lethe);
    v.put("djl", Engine.getDjlVersion());
    v.put("djl_engine", "PyTorch " + Engine.getEngine("PyTorch").getVersion());
    v.put("spark", spark.version());
    v.put("java", System.getProperty("java.version"));
    m.put("device", report.get("device").asText());
    return m;
  }

  private List<Sample> readForget(List<String> classNames) {
    SampleReader reader =
        new SampleReader(spark).labels(config.labels()).classNames(classNames).partitions(0);
    if (config.limit() > 0) {
      reader.limit(config.limit());
    }
    if (config.sample() > 0) {
      List<Sample> drawn =
          RandomDraw.draw(reader.read(config.forget()).samples(), config.sample(), config.seed());
      if (drawn.size() < config.sample()) {
        throw new IllegalArgumentException(
            "Cannot unlearn: option --sample asks for "
                + config.sample()
                + " instances but forget data "
                + config.forget()
                + " holds "
                + drawn.size()
                + "; give --sample "
                + drawn.size()
                + " or less");
      }
      return drawn;
    }
    List<Sample> all = reader.read(config.forget()).samples().collect();
    List<Sample> forget = all;
    if (!config.forgetIds().isEmpty()) {
      Map<String, Sample> byId = new LinkedHashMap<>();
      all.forEach(s -> byId.put(s.id(), s));
      forget = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (String id : config.forgetIds()) {
        Sample s = byId.get(id);
        if (s == null) {
          throw new IllegalArgumentException(
              "Cannot unlearn: forget id "
                  + id
                  + " is not in forget data "
                  + config.forget()
                  + (config.limit() > 0 ? " (within --limit " + config.limit() + ")" : "")
                  + "; ids there look like "
                  + (all.isEmpty() ? "(none)" : all.get(0).id()));
        }
        if (seen.add(id)) {
          forget.add(s);
        }
      }
    }
    if (forget.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot unlearn: forget data " + config.forget() + " holds no samples");
    }
    return forget;
  }

  private List<Sample> readOptional(String uri, String what, ModelSpec spec) {
    if (uri == null) {
      return List.of();
    }
    List<Sample> samples =
        new SampleReader(spark).classNames(spec.classNames()).read(uri).samples().collect();
    check(samples, spec, what + " " + uri);
    return samples;
  }

  private static void check(List<Sample> samples, ModelSpec spec, String what) {
    for (Sample s : samples) {
      if (!s.shape().equals(spec.input())) {
        throw new IllegalArgumentException(
            "Cannot unlearn with "
                + what
                + ": sample "
                + s.id()
                + " has shape "
                + s.shape()
                + " but the model takes "
                + spec.input());
      }
      if (s.label() < 0 || s.label() >= spec.numClasses()) {
        throw new IllegalArgumentException(
            "Cannot unlearn with "
                + what
                + ": sample "
                + s.id()
                + " has label "
                + s.label()
                + " outside the model's classes 0.."
                + (spec.numClasses() - 1));
      }
    }
  }

  static String modelName(String fileName) {
    int dot = fileName.lastIndexOf('.');
    String name = dot > 0 ? fileName.substring(0, dot) : fileName;
    return name.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  private static byte[] bytes(ObjectNode node) {
    try {
      return JSON.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot write JSON: " + e.getMessage(), e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> toMap(ObjectNode node) {
    return JSON.convertValue(node, LinkedHashMap.class);
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  private static double round(double v) {
    return Math.round(v * 1e3) / 1e3;
  }
}
