package dev.lethe.job.unlearn;

import ai.djl.engine.Engine;
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
import dev.lethe.importance.Importance;
import dev.lethe.importance.ImportanceSums;
import dev.lethe.importance.Mas;
import dev.lethe.job.LetheMain;
import dev.lethe.job.RunFailedException;
import dev.lethe.job.UsageException;
import dev.lethe.job.data.SampleReader;
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
import java.io.InputStream;
import java.io.UncheckedIOException;
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
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code lethe unlearn} run: validate on the driver, stage A (PGD on the executors), stage B
 * (MAS sums on the executors, added on the driver), stage C (fine-tune and evaluate on the driver
 * with {@link Unlearning}), then publish {@code model.pt}, {@code model.json} (the parent's
 * sidecar, if any), {@code report.json} and {@code manifest.json} last, as a new immutable version.
 * A run that does not reach its goal publishes nothing.
 */
public final class UnlearnRun {

  /** Spark job group of the driver-side validation. */
  public static final String VALIDATE_GROUP = "lethe-unlearn-validate";

  /** Spark job group of stage C and publishing. */
  public static final String FINETUNE_GROUP = "lethe-unlearn-finetune";

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
      int batchSize) {}

  /** Candidate settings (one when a preset was given) and PGD settings, overrides applied. */
  public record Settings(List<UnlearnSettings> candidates, PgdSettings pgd) {}

  private final SparkSession spark;
  private final Config config;
  private final Consumer<String> progress = line -> LOG.info("unlearn: {}", line);

  public UnlearnRun(SparkSession spark, Config config) {
    this.spark = spark;
    this.config = config;
  }

  /** The settings of a run: the preset (or Lethe's candidates) with the tuning options applied. */
  public static Settings settings(String preset, Map<String, String> tuning, ImageShape shape) {
    List<UnlearnSettings> bases;
    try {
      bases =
          preset == null
              ? UnlearnSettings.defaultCandidates()
              : List.of(UnlearnSettings.preset(preset));
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

    jsc.setJobGroup(VALIDATE_GROUP, "Lethe unlearn: validate " + config.model(), false);
    try (ModelArtifact artifact = ModelArtifact.fetch(config.model(), hadoop)) {
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
      List<Sample> retain = readOptional(config.retain(), "retain data", spec);
      Settings settings = settings(config.preset(), config.tuning(), spec.input());
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
      jsc.clearJobGroup();

      ExecutorModel holder = ExecutorModel.broadcast(jsc, artifact, spec);
      List<AdversarialExample> adversarial = null;
      Importance importance = null;
      double adversarialSeconds = 0;
      double importanceSeconds = 0;
      try {
        if (config.method().usesAdversarialExamples()) {
          long t0 = System.nanoTime();
          adversarial =
              DistributedStages.adversarial(
                  jsc, holder, forget, pgd, config.partitions(), config.batchSize());
          adversarialSeconds = seconds(t0);
          progress.accept(
              String.format(
                  "stage A: %d adversarial examples, attack success %.3f (%.1f s)",
                  adversarial.size(), PgdAttack.successRate(adversarial), adversarialSeconds));
        }
        if (config.method().usesImportance()) {
          long t0 = System.nanoTime();
          ImportanceSums sums =
              DistributedStages.importanceSums(
                  jsc,
                  holder,
                  forget,
                  settings.candidates().get(0).masMode(),
                  config.partitions(),
                  config.batchSize());
          importance = Mas.finish(sums);
          importanceSeconds = seconds(t0);
          progress.accept(
              String.format(
                  "stage B: MAS importance over %d instances, %d tensors (%.1f s)",
                  sums.count(), sums.sums().size(), importanceSeconds));
        }
      } finally {
        holder.release();
      }

      jsc.setJobGroup(FINETUNE_GROUP, "Lethe unlearn, stage C: fine-tune on the driver", false);
      UnlearningResult result;
      byte[] modelBytes = null;
      try (Classifier model = artifact.load(options, true)) {
        Unlearning run =
            new Unlearning(model, forget)
                .optMethod(config.method())
                .optGoal(config.goal())
                .optTest(test)
                .optRetain(retain)
                .optHeldOut(heldOut)
                .optSeed(config.seed())
                .optPgd(pgd)
                .optProgress(progress);
        if (config.targetClass() != null) {
          run.optTargetClass(config.targetClass());
        } else if (config.targeted()) {
          run.optTargeted();
        }
        if (settings.candidates().size() == 1) {
          run.optSettings(settings.candidates().get(0));
        } else {
          run.optCandidates(settings.candidates());
        }
        if (adversarial != null) {
          run.optAdversarial(adversarial);
        }
        if (importance != null) {
          run.optImportance(importance);
        }
        result = run.run();
        if (result.succeeded()) {
          modelBytes = model.toBytes();
        }
      }
      progress.accept(
          String.format(
              "stage C: %s; forget accuracy %.4f -> %.4f",
              result.succeeded() ? "reached the goal" : "did not reach the goal",
              result.forget().before(),
              result.forget().after()));

      ObjectNode report = ResultJson.toJson(result);
      ObjectNode secs = (ObjectNode) report.get("seconds");
      secs.put("adversarial", round(adversarialSeconds));
      secs.put("importance", round(importanceSeconds));
      report.put("run_id", runId);
      report.put("model_uri", config.model());
      report.put("model_sha256", artifact.sha256());
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

      String modelName = modelName(artifact.fileName());
      Path versionDir = new Path(new Path(new Path(config.out()), modelName), version);
      report.put("version", version);
      report.put("model_uri", new Path(versionDir, "model.pt").toString());
      report.put("parent_model_uri", config.model());
      report.put("manifest_uri", new Path(versionDir, Publisher.MANIFEST).toString());
      secs.put("total", round(seconds(start)));

      Map<String, byte[]> files = new LinkedHashMap<>();
      files.put("model.pt", modelBytes);
      artifact.sidecarUri().ifPresent(uri -> files.put("model.json", readAll(hadoop, uri)));
      files.put("report.json", bytes(report));
      Instant finished = Instant.now();
      ObjectNode manifestBase =
          manifest(
              runId, version, modelName, artifact, forget, settings, pgd, report, started,
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
    } finally {
      jsc.clearJobGroup();
    }
  }

  private ObjectNode manifest(
      String runId,
      String version,
      String modelName,
      ModelArtifact artifact,
      List<Sample> forget,
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
    m.put("method", config.method().cliName());
    m.put("goal", config.goal().cliName());
    m.put("targeted", report.get("targeted").asBoolean());
    m.put("seed", config.seed());
    m.put("preset", config.preset() == null ? "calibrated" : config.preset());
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

  private static byte[] readAll(Configuration conf, String uri) {
    Path path = new Path(uri);
    try {
      FileSystem fs = path.getFileSystem(conf);
      try (InputStream in = fs.open(path)) {
        return in.readAllBytes();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read model sidecar " + uri + ": " + e, e);
    }
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
