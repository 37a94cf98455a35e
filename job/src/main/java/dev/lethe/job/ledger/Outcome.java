package dev.lethe.job.ledger;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One row of the ledger: what became of one erasure request.
 *
 * <p>The columns come first ({@code request_id, status, version, model_sha256,
 * sample_count, forget_accuracy, test_accuracy_before, test_accuracy_after, reason, recorded_at}),
 * then what an audit needs besides: the model's name, when the request was received, and the sample
 * ids it resolved to. A {@link Status#FORGOTTEN} outcome always names a published version and its
 * hash; a rejected or failed one always has a reason. {@code recordedAt} is stamped by {@link
 * Ledger#record}: it is null in outcomes not yet recorded.
 *
 * @param requestId the request's id, the ledger's key
 * @param status what became of it
 * @param version the published version that serves it; null unless forgotten
 * @param modelSha256 sha256 of that version's model.pt; null unless forgotten
 * @param sampleCount how many samples the request named or resolved to; null when unknown
 * @param forgetAccuracy accuracy on the forgotten samples after the run, in [0, 1]; null if none
 *     ran
 * @param testAccuracyBefore test accuracy of the run's parent model; null if none ran
 * @param testAccuracyAfter test accuracy of the run's result; null if none ran
 * @param reason why it was rejected or failed; null when forgotten
 * @param recordedAt when the ledger recorded it; null before {@link Ledger#record}
 * @param model the model's name (its folder under {@code --out}); null when unknown
 * @param receivedAt the request's {@code received_at}; null when the request had none
 * @param sampleIds the sample ids it resolved to, sorted; empty when unknown
 */
public record Outcome(
    String requestId,
    Status status,
    String version,
    String modelSha256,
    Integer sampleCount,
    Double forgetAccuracy,
    Double testAccuracyBefore,
    Double testAccuracyAfter,
    String reason,
    Instant recordedAt,
    String model,
    Instant receivedAt,
    List<String> sampleIds) {

  /**
   * Checks the outcome.
   *
   * @throws IllegalArgumentException naming the request when a forgotten outcome has no version or
   *     hash, or a rejected or failed one no reason
   */
  public Outcome {
    if (requestId == null || requestId.isBlank()) {
      throw new IllegalArgumentException(
          "Cannot make an outcome: its request id is empty; give the request's request_id");
    }
    Objects.requireNonNull(status, "status");
    sampleIds = sampleIds == null ? List.of() : List.copyOf(sampleIds);
    if (status == Status.FORGOTTEN && (isBlank(version) || isBlank(modelSha256))) {
      throw new IllegalArgumentException(
          "Cannot make outcome 'forgotten' for request "
              + requestId
              + ": it names no published version and model hash (version "
              + version
              + ", sha256 "
              + modelSha256
              + "); a request is forgotten only by a published version");
    }
    if (status != Status.FORGOTTEN && isBlank(reason)) {
      throw new IllegalArgumentException(
          "Cannot make outcome '"
              + status.value()
              + "' for request "
              + requestId
              + ": it has no reason; say why, for the person who reads the ledger");
    }
  }

  /** A request that cannot be served as given; nothing ran for it. */
  public static Outcome rejected(String requestId, String reason) {
    return new Outcome(
        requestId,
        Status.REJECTED,
        null,
        null,
        null,
        null,
        null,
        null,
        reason,
        null,
        null,
        null,
        null);
  }

  /** A request whose run published nothing; {@code sampleIds} are those the run was to forget. */
  public static Outcome failed(
      String requestId, String model, List<String> sampleIds, String reason) {
    List<String> ids = sampleIds == null ? List.of() : sampleIds;
    return new Outcome(
        requestId,
        Status.FAILED,
        null,
        null,
        ids.size(),
        null,
        null,
        null,
        reason,
        null,
        model,
        null,
        ids);
  }

  /** A request served by published {@code version} of {@code model}, with its run's metrics. */
  public static Outcome forgotten(
      String requestId,
      String model,
      String version,
      String modelSha256,
      List<String> sampleIds,
      double forgetAccuracy,
      double testAccuracyBefore,
      double testAccuracyAfter) {
    List<String> ids = sampleIds == null ? List.of() : sampleIds;
    return new Outcome(
        requestId,
        Status.FORGOTTEN,
        version,
        modelSha256,
        ids.size(),
        forgetAccuracy,
        testAccuracyBefore,
        testAccuracyAfter,
        null,
        null,
        model,
        null,
        ids);
  }

  /** This outcome with the run's accuracies (for a failed run that measured them). */
  public Outcome withAccuracies(double forget, double testBefore, double testAfter) {
    return new Outcome(
        requestId,
        status,
        version,
        modelSha256,
        sampleCount,
        forget,
        testBefore,
        testAfter,
        reason,
        recordedAt,
        model,
        receivedAt,
        sampleIds);
  }

  /** This outcome with the request's {@code received_at}. */
  public Outcome withReceivedAt(Instant value) {
    return new Outcome(
        requestId,
        status,
        version,
        modelSha256,
        sampleCount,
        forgetAccuracy,
        testAccuracyBefore,
        testAccuracyAfter,
        reason,
        recordedAt,
        model,
        value,
        sampleIds);
  }

  /** This outcome as recorded at {@code value}. */
  public Outcome withRecordedAt(Instant value) {
    return new Outcome(
        requestId,
        status,
        version,
        modelSha256,
        sampleCount,
        forgetAccuracy,
        testAccuracyBefore,
        testAccuracyAfter,
        reason,
        value,
        model,
        receivedAt,
        sampleIds);
  }

  private static boolean isBlank(String value) {
    return value == null || value.isBlank();
  }
}
