package dev.lethe.job.sweep;

import dev.lethe.job.data.SampleReader;
import dev.lethe.job.ledger.Ledger;
import dev.lethe.job.ledger.Outcome;
import dev.lethe.job.requests.ErasureRequest;
import dev.lethe.job.requests.ErasureRequests;
import dev.lethe.job.requests.SubjectResolver;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.sql.SparkSession;

/**
 * What a sweep (or its dry run) reads first: the requests, those with no outcome in the ledger (all
 * of them when there is no ledger yet), the rejected ones (malformed lines of pending ids, and
 * pending requests whose subject or ids are unknown) and the resolution of the rest to sample ids.
 *
 * @param malformed the rejections of {@code read} that are still pending
 */
record SweepIntake(
    ErasureRequests.Result read,
    List<ErasureRequest> pending,
    List<Outcome> malformed,
    SubjectResolver.Resolution resolution) {

  /** Reads the requests and resolves the pending ones against {@code ledger}, if there is one. */
  static SweepIntake read(SparkSession spark, Sweep.Settings settings, Optional<Ledger> ledger) {
    ErasureRequests.Result read =
        ErasureRequests.read(spark.sparkContext().hadoopConfiguration(), settings.requests());
    List<ErasureRequest> pending =
        ledger
            .map(l -> l.pending(read.requests(), ErasureRequest::requestId))
            .orElse(read.requests());
    List<String> rejectedIds = read.rejections().stream().map(Outcome::requestId).toList();
    Set<String> pendingRejections =
        new HashSet<>(ledger.map(l -> l.pendingIds(rejectedIds)).orElse(rejectedIds));
    List<Outcome> malformed =
        read.rejections().stream().filter(o -> pendingRejections.contains(o.requestId())).toList();
    SubjectResolver.Resolution resolution = new SubjectResolver.Resolution(List.of(), List.of());
    if (!pending.isEmpty()) {
      SubjectResolver resolver = new SubjectResolver(spark);
      if (settings.subjects() != null) {
        resolver.subjects(settings.subjects());
      }
      resolution =
          resolver.resolve(
              pending,
              SubjectResolver.idsOf(new SampleReader(spark).read(settings.dataset()).samples()));
    }
    return new SweepIntake(read, pending, malformed, resolution);
  }

  /** Every rejection to record: the malformed pending lines, then the unresolvable requests. */
  List<Outcome> rejected() {
    List<Outcome> all = new ArrayList<>(malformed);
    all.addAll(resolution.rejected());
    return all;
  }
}
