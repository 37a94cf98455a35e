package dev.lethe.job.unlearn;

import dev.lethe.job.model.ModelArtifact;
import dev.lethe.job.spark.JobGroup;
import dev.lethe.unlearn.TuningOptions;
import dev.lethe.unlearn.TuningTable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/** An unlearning request's dry run: its inputs checked and its plan, nothing run or published. */
public final class UnlearnDryRun {

  private final SparkSession spark;
  private final UnlearnRequest request;
  private final UnlearnRun run;

  public UnlearnDryRun(SparkSession spark, UnlearnRequest request) {
    this.spark = spark;
    this.request = request;
    this.run = new UnlearnRun(spark, request, () -> {});
  }

  /**
   * What {@link UnlearnRun#execute} would do, without doing it: reads and checks every input as a
   * run does (the model loads, the forget, test, held-out and retain data decode and fit it),
   * resolves the settings, and returns the plan. Publishes nothing, writes nothing under the output
   * folder.
   *
   * @throws dev.lethe.job.failure.UsageException when an option does not fit the model or the data
   * @throws IllegalArgumentException naming the input when an input is missing or unusable
   */
  public Map<String, Object> plan() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    try (ModelArtifact artifact = ModelArtifact.fetch(request.model(), hadoop)) {
      UnlearnInputs in;
      try (JobGroup g =
          JobGroup.start(
              jsc,
              UnlearnRun.VALIDATE_GROUP,
              "Lethe unlearn dry run: validate " + request.model())) {
        in = new InputReader(spark, request).read(artifact);
      }
      RunSettings settings =
          RunSettings.resolve(
                  request.preset(),
                  request.goal(),
                  request.method(),
                  request.tuning(),
                  in.spec().input())
              .withSeed(request.seed());
      String modelName = run.modelNameOf(artifact.fileName());
      Map<String, Object> plan = new LinkedHashMap<>();
      Map<String, Object> model = new LinkedHashMap<>();
      model.put("uri", request.model());
      model.put("sha256", artifact.sha256());
      model.put("name", modelName);
      model.put("input", in.spec().input().toString());
      model.put("resize", in.spec().resize() == null ? null : in.spec().resize().json());
      model.put("classes", in.spec().numClasses());
      plan.put("model", model);
      plan.put("forget", data(request.forget(), in.forget().size()));
      boolean drawn = in.heldOutFromTest();
      plan.put(
          "test",
          request.test() == null ? null : data(request.test(), Math.toIntExact(in.testSize())));
      Map<String, Object> heldOut =
          in.heldOut().isEmpty() && !drawn
              ? null
              : data(in.heldOutUri(request), in.heldOut().size());
      if (heldOut != null) {
        heldOut.put("from_test", drawn);
        // drawn by the run on its own: no held-out sample and no --held-out-from-test was given
        heldOut.put("automatic", drawn && request.heldOutFromTest() == null);
      }
      plan.put("held_out", heldOut);
      Map<String, Object> retain =
          in.retain().isEmpty() ? null : data(in.retainUri(request), in.retain().size());
      if (retain != null) {
        retain.put("from_forget", in.retainFromForget());
        // drawn by the run on its own: no held-out sample, retain data or --retain-from-forget
        retain.put("automatic", in.retainFromForget() && request.retainFromForget() == null);
      }
      plan.put("retain", retain);
      plan.put("method", request.method().cliName());
      plan.put("goal", request.goal().cliName());
      plan.put(
          "targeted",
          request.targeted() ? "runner-up" : request.targetClass() != null ? "class" : "no");
      plan.put("target_class", request.targetClass());
      plan.put("preset", request.presetName());
      plan.put("seed", request.seed());
      plan.put("tuning", request.tuning());
      plan.put("settings", settings.candidates().stream().map(TuningTable::recorded).toList());
      var pgd = settings.pgd();
      plan.put(
          "pgd",
          new Manifest.Pgd(
              TuningOptions.spelling(pgd.norm()),
              pgd.epsilon(),
              pgd.stepSize(),
              pgd.steps(),
              pgd.perInstance(),
              pgd.seed()));
      Map<String, Object> gates = new LinkedHashMap<>();
      gates.put("max_test_drop", request.maxTestDrop());
      // the default gate without --max-test-drop: the share of test accuracy a model must keep
      gates.put(
          "min_test_kept",
          request.maxTestDrop() == null && request.test() != null ? UnlearnRun.DEFAULT_KEPT : null);
      gates.put("max_retain_drop", request.maxRetainDrop());
      plan.put("gates", gates);
      plan.put("stages", stageNames());
      plan.put(
          "finetune_stages",
          settings.candidates().get(0).stages(request.goal(), in.forget().size()));
      plan.put("run_id", request.runId());
      String version =
          "<UTC start time>-" + (request.runId() != null ? request.runId() : "<run id>");
      Path modelDir = new Path(new Path(request.out()), modelName);
      plan.put("publish_to", new Path(modelDir, version).toString());
      plan.put(
          "work",
          request.work() != null
              ? new Path(new Path(request.work()), version).toString()
              : new Path(modelDir, ".work-" + version).toString());
      plan.put(
          "already_published", run.alreadyPublished().map(UnlearnReport::version).orElse(null));
      return plan;
    }
  }

  /** The stages a run of this request's method runs, in order. */
  private List<String> stageNames() {
    List<String> stages = new ArrayList<>();
    stages.add("validate");
    if (request.method().usesAdversarialExamples()) {
      stages.add("adversarial");
    }
    if (request.method().usesImportance()) {
      stages.add("importance");
    }
    stages.add("finetune");
    stages.add("evaluate");
    stages.add("publish");
    return stages;
  }

  private static Map<String, Object> data(String uri, int size) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("uri", uri);
    data.put("size", size);
    return data;
  }
}
