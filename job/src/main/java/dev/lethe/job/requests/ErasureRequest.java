package dev.lethe.job.requests;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One erasure request as read from a requests file: a subject to forget, or the sample ids to
 * forget, never both.
 *
 * @param requestId the request's id, unique across every requests file
 * @param subject the data subject whose samples to forget; null when the request names ids
 * @param sampleIds the sample ids to forget, distinct and sorted; empty when it names a subject
 * @param receivedAt when the request was received; null when the line had no {@code received_at}
 * @param source where it was read, {@code <file>:<line>}
 */
public record ErasureRequest(
    String requestId, String subject, List<String> sampleIds, Instant receivedAt, String source) {

  /** Checks that it names a subject or ids, not both; copies the ids. */
  public ErasureRequest {
    Objects.requireNonNull(requestId, "requestId");
    sampleIds = sampleIds == null ? List.of() : List.copyOf(sampleIds);
    if ((subject == null) == sampleIds.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot make request "
              + requestId
              + ": it names "
              + (subject == null ? "neither a subject nor sample ids" : "both a subject and ids")
              + "; give one of them");
    }
  }

  /** A request for a subject's samples. */
  public static ErasureRequest ofSubject(String requestId, String subject) {
    return new ErasureRequest(requestId, subject, List.of(), null, "");
  }

  /** A request for the given samples. */
  public static ErasureRequest ofSamples(String requestId, List<String> sampleIds) {
    return new ErasureRequest(
        requestId, null, sampleIds.stream().distinct().sorted().toList(), null, "");
  }

  /** Whether it names a subject (rather than sample ids). */
  public boolean bySubject() {
    return subject != null;
  }

  /** Whether {@code other} asks for the same thing: same id, subject, ids and received_at. */
  public boolean sameContent(ErasureRequest other) {
    return requestId.equals(other.requestId)
        && Objects.equals(subject, other.subject)
        && sampleIds.equals(other.sampleIds)
        && Objects.equals(receivedAt, other.receivedAt);
  }
}
