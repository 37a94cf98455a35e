package dev.lethe.job.unlearn;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lethe.job.report.JobJson;
import dev.lethe.unlearn.ResultJson;
import dev.lethe.unlearn.UnlearningResult;

/**
 * The report of one unlearning run, as report.json publishes it and the command line prints it: the
 * method's numbers as lethe-common writes them ({@link ResultJson}: status to error), then what the
 * job adds (run id, model URIs and hash, driver memory, version). Components are written in this
 * order with snake_case names; absent sets (null) are left out, while {@code error}, {@code
 * version} and {@code manifest_uri} are written as null when there is none.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UnlearnReport(
    String status,
    String method,
    String goal,
    boolean targeted,
    int k,
    long seed,
    Accuracy forget,
    Accuracy test,
    Accuracy retain,
    Mia mia,
    JsonNode settings,
    int steps,
    int epochs,
    Adversarial adversarial,
    StageSeconds seconds,
    String device,
    @JsonInclude(JsonInclude.Include.ALWAYS) String error,
    String runId,
    String modelUri,
    String modelSha256,
    Memory memory,
    @JsonInclude(JsonInclude.Include.ALWAYS) String version,
    String parentModelUri,
    @JsonInclude(JsonInclude.Include.ALWAYS) String manifestUri) {

  /** Accuracy of one sample set before and after, over {@code size} samples. */
  public record Accuracy(double accuracyBefore, double accuracyAfter, int size) {}

  /** The membership-inference attack before and after, over {@code members} forget instances. */
  public record Mia(
      double accuracyBefore,
      double accuracyAfter,
      double aucBefore,
      double aucAfter,
      int members,
      int folds) {}

  /** Stage A's examples and their attack success rate (absent when there are none). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Adversarial(int count, Double successRate) {}

  /** Wall time of each stage and of the whole run, in seconds. */
  public record StageSeconds(
      double adversarial, double importance, double finetune, double evaluate, double total) {}

  /** The driver JVM's peak resident memory in MiB (Linux only). */
  public record Memory(long driverPeakRssMib) {}

  /** The report of a fine-tune's result as lethe-common writes it, without the job's fields. */
  public static UnlearnReport of(UnlearningResult result) {
    ObjectNode json = ResultJson.toJson(result);
    try {
      return JobJson.mapper().treeToValue(json, UnlearnReport.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("Cannot read the unlearning result: " + e.getMessage(), e);
    }
  }

  /** Whether the run reached its goal (and so publishes). */
  public boolean succeeded() {
    return "published".equals(status);
  }

  /** This report with the job's stage times: stage A and B seconds, and the total. */
  public UnlearnReport withSeconds(double adversarial, double importance, double total) {
    return new UnlearnReport(
        status,
        method,
        goal,
        targeted,
        k,
        seed,
        forget,
        test,
        retain,
        mia,
        settings,
        steps,
        epochs,
        this.adversarial,
        new StageSeconds(adversarial, importance, seconds.finetune(), seconds.evaluate(), total),
        device,
        error,
        runId,
        modelUri,
        modelSha256,
        memory,
        version,
        parentModelUri,
        manifestUri);
  }

  /** This report with the run's id, the model it read and the driver's peak memory (or null). */
  public UnlearnReport withRun(String runId, String modelUri, String modelSha256, Memory memory) {
    return new UnlearnReport(
        status,
        method,
        goal,
        targeted,
        k,
        seed,
        forget,
        test,
        retain,
        mia,
        settings,
        steps,
        epochs,
        adversarial,
        seconds,
        device,
        error,
        runId,
        modelUri,
        modelSha256,
        memory,
        version,
        parentModelUri,
        manifestUri);
  }

  /**
   * This report of a published version: the version, the published model's URI, the parent model's
   * URI and the manifest's URI.
   */
  public UnlearnReport withVersion(
      String version, String modelUri, String parentModelUri, String manifestUri) {
    return new UnlearnReport(
        status,
        method,
        goal,
        targeted,
        k,
        seed,
        forget,
        test,
        retain,
        mia,
        settings,
        steps,
        epochs,
        adversarial,
        seconds,
        device,
        error,
        runId,
        modelUri,
        modelSha256,
        memory,
        version,
        parentModelUri,
        manifestUri);
  }
}
