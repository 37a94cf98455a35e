package dev.lethe.job.unlearn;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lethe.job.report.JobJson;
import dev.lethe.unlearn.ResultJson;
import dev.lethe.unlearn.UnlearningResult;

/**
 * The report of one unlearning run, as report.json publishes it and the command line prints it: the
 * method's numbers as lethe-common writes them ({@link Measured}, from {@link ResultJson}), then
 * what the job adds (run id, model URIs and hash, driver memory, version), all at the top level.
 * Components are written in this order with snake_case names; {@code version} and {@code
 * manifest_uri} are written as null when nothing was published.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UnlearnReport(
    @JsonUnwrapped Measured measured,
    String runId,
    String modelUri,
    String modelSha256,
    Memory memory,
    @JsonInclude(JsonInclude.Include.ALWAYS) String version,
    String parentModelUri,
    String parentModelSha256,
    @JsonInclude(JsonInclude.Include.ALWAYS) String manifestUri) {

  /**
   * What the fine-tune and stage D measured, field for field as lethe-common's {@link ResultJson}
   * writes it; absent sets (null) are left out, {@code error} is null when the goal was reached.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Measured(
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
      int stages,
      Adversarial adversarial,
      StageSeconds seconds,
      String device,
      @JsonInclude(JsonInclude.Include.ALWAYS) String error) {

    /** What a fine-tune's result measured, as lethe-common writes it. */
    public static Measured of(UnlearningResult result) {
      try {
        return JobJson.mapper().treeToValue(ResultJson.toJson(result), Measured.class);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("Cannot read the unlearning result: " + e.getMessage(), e);
      }
    }

    /** Whether the run reached its goal (and so publishes). */
    public boolean succeeded() {
      return "published".equals(status);
    }

    /** These numbers as a run that publishes nothing, for {@code reason}. */
    public Measured failed(String reason) {
      return new Measured(
          "failed",
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
          stages,
          adversarial,
          seconds,
          device,
          reason);
    }

    /** These numbers with the job's stage times: stages A and B, and the whole run. */
    public Measured withSeconds(double adversarial, double importance, double total) {
      StageSeconds s =
          new StageSeconds(adversarial, importance, seconds.finetune(), seconds.evaluate(), total);
      return new Measured(
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
          stages,
          this.adversarial,
          s,
          device,
          error);
    }
  }

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

  /** Whether the run reached its goal (and so published). */
  public boolean succeeded() {
    return measured.succeeded();
  }
}
