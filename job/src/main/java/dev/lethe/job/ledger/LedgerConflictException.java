package dev.lethe.job.ledger;

/**
 * Another writer committed to the ledger between this writer's read and its commit, and the two
 * commits overlap (Delta Lake's optimistic concurrency: the first commit wins, the other is refused
 * whole). Nothing of the refused commit is in the table; the table stays readable and consistent.
 * The caller re-reads what is pending and retries, or leaves it to the winning writer.
 */
public final class LedgerConflictException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String ledger;

  public LedgerConflictException(String message, String ledger, Throwable cause) {
    super(message, cause);
    this.ledger = ledger;
  }

  /** The ledger's URI. */
  public String ledger() {
    return ledger;
  }
}
