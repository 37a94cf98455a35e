package dev.lethe.job.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lethe.job.actions.UnlearnAction;
import dev.lethe.job.ledger.Outcome;
import dev.lethe.job.ledger.Status;
import dev.lethe.job.report.JobJson;
import dev.lethe.job.requests.ErasureRequest;
import dev.lethe.job.requests.SubjectResolver;
import dev.lethe.job.unlearn.PublishedVersions;
import dev.lethe.job.unlearn.UnlearnReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * The outcomes a sweep records: {@code forgotten} from a published run's result or from a published
 * version's manifest (crash completion), and {@code failed} for the requests of a run that
 * published nothing. Each carries the request's {@code received_at} when it had one.
 */
final class SweepOutcomes {

  private SweepOutcomes() {}

  /** The requests a published manifest already serves (to record) and the rest (to unlearn). */
  record FromManifests(List<Outcome> completed, List<SubjectResolver.Resolved> rest) {}

  /**
   * Splits {@code resolved} into the requests that one of {@code published} lists in its {@code
   * request_ids} (their outcome, from that version's manifest) and the others.
   */
  static FromManifests fromManifests(
      List<PublishedVersions.Published> published,
      String modelName,
      List<SubjectResolver.Resolved> resolved) {
    Map<String, PublishedVersions.Published> served = new LinkedHashMap<>();
    for (PublishedVersions.Published p : published) {
      p.manifest().path("request_ids").forEach(id -> served.putIfAbsent(id.asText(), p));
    }
    List<Outcome> completed = new ArrayList<>();
    List<SubjectResolver.Resolved> rest = new ArrayList<>();
    for (SubjectResolver.Resolved r : resolved) {
      PublishedVersions.Published p = served.get(r.request().requestId());
      if (p == null) {
        rest.add(r);
        continue;
      }
      JsonNode metrics = p.manifest().path("metrics");
      JsonNode test = metrics.path("test");
      completed.add(
          receivedAt(
              new Outcome(
                  r.request().requestId(),
                  Status.FORGOTTEN,
                  p.version(),
                  modelSha(p.manifest(), p.version()),
                  r.sampleIds().size(),
                  metrics.path("forget").path("accuracy_after").asDouble(),
                  test.isMissingNode() ? null : test.path("accuracy_before").asDouble(),
                  test.isMissingNode() ? null : test.path("accuracy_after").asDouble(),
                  null,
                  null,
                  modelName,
                  null,
                  r.sampleIds()),
              r.request()));
    }
    return new FromManifests(completed, rest);
  }

  /** The outcome of a request that a published run completed. */
  static Outcome forgotten(
      SubjectResolver.Resolved r,
      String modelName,
      String version,
      String sha,
      UnlearnAction.Result result) {
    UnlearnReport.Accuracy test = result.test();
    Outcome o =
        new Outcome(
            r.request().requestId(),
            Status.FORGOTTEN,
            version,
            sha,
            r.sampleIds().size(),
            result.forget().accuracyAfter(),
            test == null ? null : test.accuracyBefore(),
            test == null ? null : test.accuracyAfter(),
            null,
            null,
            modelName,
            null,
            r.sampleIds());
    return receivedAt(o, r.request());
  }

  /** One {@code failed} outcome per request of a run that published nothing, with its reason. */
  static List<Outcome> failed(SweepPlan.Run run, String modelName, String reason) {
    List<Outcome> failed = new ArrayList<>();
    for (String requestId : new LinkedHashSet<>(run.requestIds())) {
      SubjectResolver.Resolved r =
          run.parts().stream()
              .map(SweepPlan.Part::resolved)
              .filter(p -> p.request().requestId().equals(requestId))
              .findFirst()
              .orElseThrow();
      failed.add(
          receivedAt(Outcome.failed(requestId, modelName, r.sampleIds(), reason), r.request()));
    }
    return failed;
  }

  /** The SHA-256 of model.pt as the version's manifest lists it. */
  static String publishedModelSha(Configuration conf, String manifestUri) {
    Path path = new Path(manifestUri);
    try (InputStream in = path.getFileSystem(conf).open(path)) {
      return modelSha(JobJson.mapper().readTree(in), manifestUri);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read the manifest " + manifestUri + ": " + e + "; check --out", e);
    }
  }

  private static String modelSha(JsonNode manifest, String where) {
    for (JsonNode file : manifest.path("files")) {
      if ("model.pt".equals(file.path("name").asText())) {
        return file.path("sha256").asText();
      }
    }
    throw new IllegalStateException(
        "Cannot record version " + where + ": its manifest lists no model.pt; check --out");
  }

  private static Outcome receivedAt(Outcome o, ErasureRequest request) {
    return request.receivedAt() == null ? o : o.withReceivedAt(request.receivedAt());
  }
}
