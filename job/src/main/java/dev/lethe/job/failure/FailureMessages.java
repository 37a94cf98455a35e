package dev.lethe.job.failure;

import dev.lethe.failure.FailureMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.spark.SparkException;

/** One-line messages for failures, as the job shows them: "Cannot ...: reason; give ...". */
public final class FailureMessages {

  private FailureMessages() {}

  /**
   * The message to show for a failure: the first message in the cause chain that says what could
   * not be done ("Cannot ..."), which is how Lethe and its inputs' readers report bad inputs, also
   * from inside a failed Spark task; otherwise the exception itself.
   */
  public static String describe(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if ((t instanceof IllegalArgumentException
              || t instanceof UncheckedIOException
              || t instanceof IOException
              || t instanceof IllegalStateException)
          && t.getMessage() != null
          && t.getMessage().startsWith("Cannot ")) {
        return FailureMessage.firstLine(t.getMessage());
      }
      if (t.getCause() == t) {
        break;
      }
    }
    if (failure instanceof SparkException) {
      return "Cannot finish the Spark job: " + FailureMessage.firstLine(failure.getMessage());
    }
    return "Unexpected failure: " + failure;
  }
}
