package dev.lethe.job.cli;

import dev.lethe.job.failure.FailureReason;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a command run came to: the fields of the JSON summary line (after {@code status} and {@code
 * command}), and, when it did not do what was asked, the reason and the message for standard error.
 */
public record Outcome(Map<String, Object> fields, FailureReason failure, String message) {

  public Outcome {
    fields = new LinkedHashMap<>(fields);
  }

  /** A run that did what was asked. */
  public static Outcome ok(Map<String, Object> fields) {
    return new Outcome(fields, null, null);
  }

  /** A run that finished without doing what was asked, for {@code reason}. */
  public static Outcome failed(Map<String, Object> fields, FailureReason reason, String message) {
    return new Outcome(fields, reason, message);
  }
}
