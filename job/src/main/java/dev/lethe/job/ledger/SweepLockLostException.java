package dev.lethe.job.ledger;

/**
 * This sweep lost the ledger's lease while it ran (it could not renew it in time, and another sweep
 * took it over): it stops before publishing anything more.
 */
public final class SweepLockLostException extends SweepLockException {

  private static final long serialVersionUID = 1L;

  SweepLockLostException(String ledger, String holder, String why) {
    super(
        "Cannot go on sweeping ledger "
            + ledger
            + ": "
            + holder
            + " lost its lock ("
            + why
            + "); nothing more was published. The requests it had not recorded stay pending for"
            + " the next sweep; if this happens often, raise --lock-ttl",
        ledger);
  }
}
