package dev.lethe.job.sweep;

import dev.lethe.job.ledger.Ledger;
import dev.lethe.job.ledger.Outcome;
import dev.lethe.job.model.ModelArtifact;
import dev.lethe.job.requests.ErasureRequests;
import dev.lethe.job.requests.SubjectResolver;
import dev.lethe.job.unlearn.CurrentVersion;
import dev.lethe.job.unlearn.PublishedVersions;
import dev.lethe.job.unlearn.UnlearnRun;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * A sweep's dry run: reads the requests, the ledger when it exists (else every request is pending)
 * and the published versions, resolves the requests, checks that the model to start from loads and
 * that the evaluation data exist, and plans the runs. Creates no ledger, takes no lock, records
 * nothing, publishes nothing.
 */
final class SweepDryRun {

  private final SparkSession spark;
  private final Sweep.Settings settings;

  SweepDryRun(SparkSession spark, Sweep.Settings settings) {
    this.spark = spark;
    this.settings = settings;
  }

  /** The plan, as the dry run's JSON fields. */
  Map<String, Object> plan() {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    String modelName = UnlearnRun.modelName(new Path(settings.model()).getName());
    Optional<Ledger> ledger = Ledger.openIfExists(spark, settings.ledger());
    SweepIntake in = SweepIntake.read(spark, settings, ledger);
    ErasureRequests.Result read = in.read();
    int pendingCount = in.pending().size() + in.malformed().size();
    List<Outcome> rejected = in.rejected();
    SubjectResolver.Resolution resolution = in.resolution();
    List<String> fromManifests = List.of();
    List<SubjectResolver.Resolved> toUnlearn = resolution.resolved();
    if (!toUnlearn.isEmpty()) {
      SweepOutcomes.FromManifests split =
          SweepOutcomes.fromManifests(
              new PublishedVersions(hadoop, settings.out(), modelName).all(), modelName, toUnlearn);
      fromManifests = split.completed().stream().map(Outcome::requestId).toList();
      toUnlearn = split.rest();
    }
    Optional<CurrentVersion> current = CurrentVersion.read(hadoop, settings.out(), modelName);
    Lineage.requireDescendsFrom(hadoop, settings.out(), modelName, current, settings.model());
    String startFrom = current.map(CurrentVersion::modelUri).orElse(settings.model());
    String sha256;
    try (ModelArtifact artifact = ModelArtifact.fetch(startFrom, hadoop)) {
      sha256 = artifact.sha256();
    }
    mustExist(hadoop, "--test", settings.test());
    mustExist(hadoop, "--held-out", settings.heldOut());
    mustExist(hadoop, "--retain", settings.retain());
    Path modelDir = new Path(new Path(settings.out()), modelName);
    List<Map<String, Object>> runs = new ArrayList<>();
    for (SweepPlan.Run run : SweepPlan.of(toUnlearn, settings.maxPerRun())) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("request_ids", run.requestIds());
      r.put("completes", run.completedRequestIds());
      r.put("samples", run.sampleIds().size());
      r.put("publish_to", new Path(modelDir, "<UTC start time>-" + Sweep.runId(run)).toString());
      runs.add(r);
    }
    Map<String, Object> fields = new LinkedHashMap<>();
    Map<String, Object> ledgerFields = new LinkedHashMap<>();
    ledgerFields.put("uri", settings.ledger());
    ledgerFields.put("exists", ledger.isPresent());
    fields.put("ledger", ledgerFields);
    fields.put("requests_read", read.requests().size() + read.rejections().size());
    fields.put("pending", pendingCount);
    List<Map<String, Object>> rejections = new ArrayList<>();
    for (Outcome o : rejected) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("request_id", o.requestId());
      r.put("reason", o.reason());
      rejections.add(r);
    }
    fields.put("rejected", rejections);
    fields.put("recorded_from_manifests", fromManifests);
    fields.put("to_unlearn", toUnlearn.size());
    fields.put(
        "forgotten_earlier", ledger.map(l -> Sweep.forgottenIds(l, modelName).size()).orElse(0));
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("name", modelName);
    model.put("start_from", startFrom);
    model.put("sha256", sha256);
    model.put("current_version", current.map(CurrentVersion::version).orElse(null));
    fields.put("model", model);
    fields.put("max_per_run", settings.maxPerRun());
    fields.put("method", settings.method().cliName());
    fields.put("goal", settings.goal().cliName());
    fields.put("preset", settings.preset() == null ? "lethe" : settings.preset());
    fields.put("runs", runs);
    fields.put("publish_to", modelDir.toString());
    return fields;
  }

  /** Throws naming the option when {@code uri} is given but nothing is there. */
  private static void mustExist(Configuration hadoop, String option, String uri) {
    if (uri == null) {
      return;
    }
    Path path = new Path(uri);
    boolean exists;
    try {
      exists = path.getFileSystem(hadoop).exists(path);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "Cannot sweep: cannot read " + option + " " + uri + ": " + e.getMessage(), e);
    }
    if (!exists) {
      throw new IllegalArgumentException(
          "Cannot sweep: " + option + " " + uri + " does not exist; give an existing path");
    }
  }
}
