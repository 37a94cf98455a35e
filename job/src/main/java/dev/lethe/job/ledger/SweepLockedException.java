package dev.lethe.job.ledger;

/** Another sweep holds the ledger's lease: this sweep did nothing. */
public final class SweepLockedException extends SweepLockException {

  private static final long serialVersionUID = 1L;

  private final transient SweepLock.Lease lease;

  SweepLockedException(String ledger, SweepLock.Lease lease) {
    super(
        "Cannot sweep ledger "
            + ledger
            + ": "
            + (lease == null
                ? "another sweep took its lock at the same moment"
                : lease.holder()
                    + " holds its lock since "
                    + lease.acquiredAt()
                    + " (until "
                    + lease.expiresAt()
                    + " unless renewed)")
            + "; nothing was done. Run one sweep per ledger at a time: retry when it has finished"
            + " (a sweep that died releases the lock when its lease expires)",
        ledger);
    this.lease = lease;
  }

  /** The lease that refused this sweep; null when the other sweep's commit was not yet visible. */
  public SweepLock.Lease lease() {
    return lease;
  }
}
