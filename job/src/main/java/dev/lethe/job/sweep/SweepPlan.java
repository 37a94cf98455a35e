package dev.lethe.job.sweep;

import dev.lethe.job.requests.SubjectResolver;
import java.util.ArrayList;
import java.util.List;

/**
 * Groups resolved requests into unlearning runs of at most {@code maxPerRun} new samples, in their
 * order. A request's samples stay in one run; a request larger than the limit is split across
 * consecutive runs of its own (chained: each starts from the version the previous one published),
 * and is complete only after its last run.
 */
final class SweepPlan {

  private SweepPlan() {}

  /** One part of a request in a run: its samples there, and whether this part is its last. */
  record Part(SubjectResolver.Resolved resolved, List<String> sampleIds, boolean last) {}

  /** One run: the request parts it forgets. */
  record Run(List<Part> parts) {

    List<String> sampleIds() {
      List<String> ids = new ArrayList<>();
      parts.forEach(p -> ids.addAll(p.sampleIds()));
      return ids;
    }

    /** The requests this run completes (their last part): what its manifest lists. */
    List<String> completedRequestIds() {
      return parts.stream()
          .filter(Part::last)
          .map(p -> p.resolved().request().requestId())
          .toList();
    }

    List<String> requestIds() {
      return parts.stream().map(p -> p.resolved().request().requestId()).toList();
    }
  }

  /** The runs that forget {@code resolved}, in order, each with at most {@code maxPerRun} ids. */
  static List<Run> of(List<SubjectResolver.Resolved> resolved, int maxPerRun) {
    if (maxPerRun <= 0) {
      throw new IllegalArgumentException(
          "Cannot plan runs of " + maxPerRun + " samples: give --max-per-run of 1 or more");
    }
    List<Run> runs = new ArrayList<>();
    List<Part> open = new ArrayList<>();
    int openCount = 0;
    for (SubjectResolver.Resolved r : resolved) {
      List<String> ids = r.sampleIds();
      if (ids.size() > maxPerRun) {
        if (!open.isEmpty()) {
          runs.add(new Run(List.copyOf(open)));
          open.clear();
          openCount = 0;
        }
        for (int from = 0; from < ids.size(); from += maxPerRun) {
          int to = Math.min(ids.size(), from + maxPerRun);
          runs.add(new Run(List.of(new Part(r, ids.subList(from, to), to == ids.size()))));
        }
        continue;
      }
      if (openCount + ids.size() > maxPerRun) {
        runs.add(new Run(List.copyOf(open)));
        open.clear();
        openCount = 0;
      }
      open.add(new Part(r, ids, true));
      openCount += ids.size();
    }
    if (!open.isEmpty()) {
      runs.add(new Run(List.copyOf(open)));
    }
    return runs;
  }
}
