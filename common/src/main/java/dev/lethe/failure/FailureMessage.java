package dev.lethe.failure;

/** How a failure's message is shortened for a one-line report. */
public final class FailureMessage {

  private FailureMessage() {}

  /** The first line of {@code message}, stripped; "null" for a null message. */
  public static String firstLine(String message) {
    String msg = String.valueOf(message).strip();
    int nl = msg.indexOf('\n');
    return nl < 0 ? msg : msg.substring(0, nl);
  }

  /** The first line of the throwable's message (native engines report whole stack traces). */
  public static String firstLine(Throwable failure) {
    return firstLine(failure.getMessage());
  }
}
