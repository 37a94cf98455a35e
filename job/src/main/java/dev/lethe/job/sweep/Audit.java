package dev.lethe.job.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lethe.data.Sample;
import dev.lethe.eval.Evaluation;
import dev.lethe.eval.LossRank;
import dev.lethe.job.data.SampleReader;
import dev.lethe.job.ledger.Ledger;
import dev.lethe.job.ledger.Outcome;
import dev.lethe.job.model.ModelArtifact;
import dev.lethe.job.report.JobJson;
import dev.lethe.job.unlearn.CurrentVersion;
import dev.lethe.job.unlearn.Publisher;
import dev.lethe.job.unlearn.RandomDraw;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import dev.lethe.unlearn.Goal;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * The audit of one erasure request: its outcome in the ledger and, given the versions' folder, the
 * SHA-256 of the manifest of the version that serves it and its samples re-measured on the model's
 * current version (still forgotten?). For a version of goal misclassify that is accuracy 0; for
 * goal unseen, losses not significantly lower than the held-out sample's ({@link LossRank}, the
 * held-out sample rebuilt from the serving version's manifest). The samples are read from the data
 * the version's manifest names ({@code forget.uri}), filtered to the request's ids on the
 * executors; only those come to the driver.
 */
public final class Audit {

  private Audit() {}

  /**
   * The audit's fields, in print order.
   *
   * @throws IllegalArgumentException naming the request when the ledger has no outcome for it
   */
  public static Map<String, Object> of(
      SparkSession spark, String ledgerUri, String requestId, String out) {
    Ledger ledger = Ledger.open(spark, ledgerUri);
    Outcome outcome =
        ledger
            .outcome(requestId)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "Cannot audit request "
                            + requestId
                            + ": ledger "
                            + ledgerUri
                            + " has no outcome for it; check --request (it may still be pending)"));
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("request_id", outcome.requestId());
    fields.put("outcome", outcome.status().value());
    fields.put("version", outcome.version());
    fields.put("model", outcome.model());
    fields.put("model_sha256", outcome.modelSha256());
    fields.put("sample_count", outcome.sampleCount());
    fields.put("forget_accuracy", outcome.forgetAccuracy());
    fields.put("reason", outcome.reason());
    fields.put(
        "recorded_at", outcome.recordedAt() == null ? null : outcome.recordedAt().toString());
    if (out == null || outcome.version() == null || outcome.model() == null) {
      return fields;
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path manifestPath =
        new Path(
            new Path(new Path(new Path(out), outcome.model()), outcome.version()),
            Publisher.MANIFEST);
    byte[] manifestBytes = readAll(conf, manifestPath);
    fields.put("manifest_uri", manifestPath.toString());
    fields.put("manifest_sha256", ModelArtifact.sha256(manifestBytes));
    CurrentVersion current =
        CurrentVersion.read(conf, out, outcome.model())
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "Cannot audit request "
                            + requestId
                            + ": "
                            + CurrentVersion.path(out, outcome.model())
                            + " is missing; check --out"));
    fields.put("current_version", current.version());
    fields.put("current_model_sha256", current.modelSha256());
    JsonNode manifest;
    try {
      manifest = JobJson.mapper().readTree(manifestBytes);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot audit request " + requestId + ": " + manifestPath + " is not JSON (" + e + ")",
          e);
    }
    String data = manifest.path("forget").path("uri").asText(null);
    Set<String> ids = new HashSet<>(outcome.sampleIds());
    String goal = manifest.path("goal").asText(Goal.MISCLASSIFY.cliName());
    fields.put("goal", goal);
    try (ModelArtifact artifact = ModelArtifact.fetch(current.modelUri(), conf);
        Classifier model = artifact.load(SpecResolver.Partial.empty("audit"), false)) {
      // the version's class names map an image folder's classes; its resize is done as images
      // are read, so the request's photos never sit in memory at their own size
      SampleReader reader = new SampleReader(spark).forModel(model.spec());
      List<Sample> samples =
          reader.read(data).samples().filter(s -> ids.contains(s.id())).collect();
      Evaluation.Scores scores = Evaluation.scores(model, samples, 64);
      double accuracy = scores.accuracy();
      fields.put("samples_found", samples.size());
      fields.put("current_accuracy", samples.isEmpty() ? null : accuracy);
      if (goal.equals(Goal.UNSEEN.cliName())) {
        List<Sample> heldOut = heldOut(reader, manifest, requestId, manifestPath);
        fields.put("held_out_size", heldOut.size());
        if (samples.isEmpty()) {
          fields.put("still_forgotten", false);
        } else {
          LossRank.Result rank =
              LossRank.of(scores.losses(), Evaluation.losses(model, heldOut, 64));
          fields.put("loss_percentile", rank.percentile());
          fields.put("loss_lower_p", rank.p());
          fields.put("still_forgotten", rank.p() >= UNSEEN_LEVEL);
        }
      } else {
        fields.put("still_forgotten", !samples.isEmpty() && accuracy == 0.0);
      }
    }
    return fields;
  }

  /**
   * Goal unseen: the request's samples count as still forgotten while their losses on the current
   * model are not significantly lower than the held-out sample's (one-sided, this level): an
   * attacker who compares losses cannot tell them from data the model never saw.
   */
  static final double UNSEEN_LEVEL = 0.05;

  /**
   * The held-out sample the serving version ran with, rebuilt from its manifest: N images drawn
   * from the test data with the run's seed ({@code --held-out-from-test N}), or the held-out data
   * itself.
   */
  private static List<Sample> heldOut(
      SampleReader reader, JsonNode manifest, String requestId, Path manifestPath) {
    JsonNode h = manifest.path("held_out");
    String uri = h.path("uri").asText(null);
    if (uri == null) {
      throw new IllegalStateException(
          "Cannot audit request "
              + requestId
              + ": its version ran with goal unseen but "
              + manifestPath
              + " names no held-out data; check the version folder");
    }
    if (h.path("drawn_from_test").asBoolean(false)) {
      return RandomDraw.split(
              reader.read(uri).samples(), h.path("count").asInt(), manifest.path("seed").asLong())
          .drawn();
    }
    return reader.read(uri).samples().collect();
  }

  private static byte[] readAll(Configuration conf, Path file) {
    try (InputStream in = file.getFileSystem(conf).open(file)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot audit: cannot read " + file + " (" + e + "); check --out", e);
    }
  }
}
