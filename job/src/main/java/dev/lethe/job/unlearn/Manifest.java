package dev.lethe.job.unlearn;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * The audit manifest of a published version, {@code manifest.json}, written last: what was
 * forgotten (a hash of the sorted ids, or the ids), from which parent model, with which settings,
 * what it measured, with which versions, and the SHA-256 and size of every published file.
 * Components are written in this order with snake_case names; {@code held_out}, {@code retain} and
 * {@code forget.ids} only when there are such; {@code request_ids} (the erasure requests a sweep's
 * run serves) only for a sweep's versions. {@code version_naming} says how the version's name was
 * made: the run's UTC start time (so names sort by time) and its run id, given or random (so one
 * run id names one version, which a retry finds).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(
    String format,
    String runId,
    String modelName,
    String version,
    String versionNaming,
    String started,
    String finished,
    Parent parent,
    Forget forget,
    List<String> requestIds,
    HeldOut heldOut,
    Retain retain,
    String method,
    String goal,
    boolean targeted,
    long seed,
    String preset,
    JsonNode settings,
    Map<String, String> tuningOptions,
    Pgd pgd,
    Metrics metrics,
    Versions versions,
    String device,
    List<Publisher.FileEntry> files) {

  /** The manifest format written here. */
  public static final String FORMAT = "lethe-manifest/1";

  /** The model the version was made from. */
  public record Parent(String uri, String sha256) {}

  /** The forgotten instances: their data, count and id hash; the ids themselves when recorded. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Forget(
      String uri, int count, String idsSha256, String idsHashed, List<String> ids) {}

  /** The held-out sample, whose outputs the fine-tune held: an input of the version. */
  public record HeldOut(String uri, int count, boolean drawnFromTest) {}

  /**
   * The retain sample: its accuracy is measured; without a held-out sample the fine-tune held its
   * outputs, and methods salun, scrub and retain train on it, so it is an input of the version.
   * {@code drawnFromForget}: drawn from the forget data's rows that are not forgotten.
   */
  public record Retain(String uri, int count, boolean drawnFromForget) {}

  /** The PGD settings of stage A. */
  public record Pgd(
      String norm, float epsilon, float stepSize, int steps, int perInstance, long seed) {}

  /** The report's numbers. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Metrics(
      UnlearnReport.Accuracy forget,
      UnlearnReport.Accuracy test,
      UnlearnReport.Accuracy retain,
      UnlearnReport.Mia mia,
      UnlearnReport.Adversarial adversarial,
      UnlearnReport.StageSeconds seconds,
      int steps,
      int epochs,
      int stages) {

    /** The metrics of a report. */
    public static Metrics of(UnlearnReport.Measured r) {
      return new Metrics(
          r.forget(),
          r.test(),
          r.retain(),
          r.mia(),
          r.adversarial(),
          r.seconds(),
          r.steps(),
          r.epochs(),
          r.stages());
    }
  }

  /**
   * Versions of Lethe, DJL, its engine, Spark and Java that made the version, and the driver's CPU
   * ({@link dev.lethe.job.report.CpuInfo}): its instruction set decides the fine-tune's rounding.
   */
  public record Versions(
      String lethe, String djl, String djlEngine, String spark, String java, String cpu) {}

  /** This manifest listing the published files. */
  public Manifest withFiles(List<Publisher.FileEntry> entries) {
    return new Manifest(
        format,
        runId,
        modelName,
        version,
        versionNaming,
        started,
        finished,
        parent,
        forget,
        requestIds,
        heldOut,
        retain,
        method,
        goal,
        targeted,
        seed,
        preset,
        settings,
        tuningOptions,
        pgd,
        metrics,
        versions,
        device,
        List.copyOf(entries));
  }
}
