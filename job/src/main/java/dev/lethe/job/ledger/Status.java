package dev.lethe.job.ledger;

import java.util.Locale;

/** What became of an erasure request, as written in the ledger's {@code status} column. */
public enum Status {
  /** A published version no longer knows the request's samples. */
  FORGOTTEN,
  /** The request cannot be served as given (malformed, unknown subject or ids); nothing ran. */
  REJECTED,
  /** A run for the request did not publish (missed its goal, broke a gate): a person decides. */
  FAILED;

  /** The value in the ledger: {@code forgotten}, {@code rejected} or {@code failed}. */
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The status written as {@code value}.
   *
   * @throws IllegalArgumentException naming the value when it is none of the three
   */
  public static Status of(String value) {
    for (Status status : values()) {
      if (status.value().equals(value)) {
        return status;
      }
    }
    throw new IllegalArgumentException(
        "Cannot read ledger status '" + value + "': give forgotten, rejected or failed");
  }
}
