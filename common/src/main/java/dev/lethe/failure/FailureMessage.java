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

  /**
   * What a TorchScript interpreter failure says went wrong: its message starts with "The following
   * operation failed in the TorchScript interpreter." and a traceback, and ends with the error
   * itself (e.g. {@code RuntimeError: Input type (float) and bias type (double) should be the
   * same}); that last error line without its type, else the first line.
   */
  public static String torchCause(Throwable failure) {
    String msg = String.valueOf(failure.getMessage()).strip();
    String[] lines = msg.split("\\R");
    for (int i = lines.length - 1; i >= 0; i--) {
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("^\\s*[A-Za-z.]*Error: (.+)$").matcher(lines[i]);
      if (m.matches()) {
        return m.group(1).strip();
      }
    }
    return firstLine(msg);
  }
}
