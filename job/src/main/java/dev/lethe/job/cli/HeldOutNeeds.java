package dev.lethe.job.cli;

import dev.lethe.job.unlearn.InputReader;

/**
 * What an option that needs a held-out sample (goal unseen) asks of the others before any data is
 * read: held-out data, a draw from the test data ({@code --held-out-from-test N}), or test data to
 * draw from on the run's own ({@link InputReader#AUTO_HELD_OUT}, which the reader refuses when the
 * test data is too small).
 */
final class HeldOutNeeds {

  private HeldOutNeeds() {}

  /**
   * Refuses {@code who} (e.g. "option --goal unseen") without held-out data when {@code fromTest}
   * (-1: not given) holds none or no test data is there to draw from.
   */
  static void check(OptionValues values, String who, int fromTest, boolean testGiven) {
    if (fromTest == 0) {
      throw values.usage(
          who
              + " needs a held-out sample, but --held-out-from-test 0 holds none; give --held-out"
              + " URI or --held-out-from-test N");
    }
    if (fromTest < 0 && !testGiven) {
      throw values.usage(
          who
              + " needs --held-out; give --held-out URI, or --test URI with at least "
              + InputReader.AUTO_MIN_TEST
              + " images (the run then draws "
              + InputReader.AUTO_HELD_OUT
              + " of them) or with --held-out-from-test N");
    }
  }
}
