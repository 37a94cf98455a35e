package dev.lethe.unlearn;

import java.util.HashSet;
import java.util.Set;

/**
 * The forget batches of a fine-tune (ALGORITHM.md section 4.3): a cursor walks the stage's
 * instances in request order from the stage's start and wraps around; with {@link
 * UnlearnSettings#unforgottenFirst()} each batch first takes the instances not yet forgotten at the
 * last evaluation, in turn (a second cursor, which runs on over the whole fine-tune), and the walk
 * fills the rest, skipping those already taken.
 */
final class ForgetBatches {

  private final boolean unforgottenFirst;
  private int k;
  private int cursor;
  private int unforgottenCursor;

  /**
   * @param unforgottenFirst whether batches start with the instances not yet forgotten
   */
  ForgetBatches(boolean unforgottenFirst) {
    this.unforgottenFirst = unforgottenFirst;
  }

  /** Starts a stage on instances 0 to {@code k} - 1: the walk begins again at the first. */
  ForgetBatches startStage(int k) {
    this.k = k;
    this.cursor = 0;
    return this;
  }

  /**
   * The next batch of {@code size} indices (at most k; 0 for a step without forget rows).
   *
   * @param unforgotten the instances not yet forgotten at the last evaluation, ascending, or null
   *     when not known (goal unseen); not used when the batch holds every instance
   */
  int[] next(int size, int[] unforgotten) {
    int[] out = new int[size];
    int filled = 0;
    Set<Integer> taken = new HashSet<>();
    if (unforgottenFirst && size < k && unforgotten != null) {
      for (int i = 0; i < unforgotten.length && filled < size; i++) {
        int idx = unforgotten[(unforgottenCursor + i) % unforgotten.length];
        out[filled++] = idx;
        taken.add(idx);
      }
      unforgottenCursor += filled;
    }
    while (filled < size) {
      if (!taken.contains(cursor)) {
        out[filled++] = cursor;
      }
      cursor = (cursor + 1) % k;
    }
    return out;
  }
}
