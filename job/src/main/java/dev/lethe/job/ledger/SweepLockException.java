package dev.lethe.job.ledger;

/**
 * A sweep cannot go on because another sweep holds the ledger's lease ({@link SweepLock}): it was
 * held when this sweep started ({@link SweepLockedException}), or taken over while this sweep ran
 * ({@link SweepLockLostException}). Either way this sweep publishes and records nothing more.
 */
public abstract class SweepLockException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String ledger;

  SweepLockException(String message, String ledger) {
    super(message);
    this.ledger = ledger;
  }

  /** The ledger's URI. */
  public String ledger() {
    return ledger;
  }
}
