package dev.lethe.unlearn;

import dev.lethe.data.Sample;
import dev.lethe.unlearn.UnlearnSettings.StandInPairs;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.RandomAccess;
import java.util.SplittableRandom;

/**
 * Synthetic images that stand in for a held-out sample when the user has none: each is a mixture of
 * two different forget images, {@code w a + (1 - w) b} with {@code w} drawn from [0.3, 0.7],
 * shifted by up to two pixels; with {@link UnlearnSettings#standInPairs()} same-class, two images
 * of one class (measured on the demo model: no better than any two on average, docs/DEFAULTS.md).
 * They lie between the forgotten instances rather than on them, so holding the original model's
 * outputs there does not fight the forget term, yet they spread the distillation term over
 * image-like inputs beyond the adversarial examples and anchors. Needs no data beyond the forget
 * set; the same seed and forget set give the same images.
 *
 * <p>Only the recipe of each image (two indices, a weight, a shift) is kept; its pixels are made
 * when it is read, so a thousand stand-ins of a 3x224x224 model do not hold 600 MB of heap.
 */
final class StandIns extends AbstractList<Sample> implements RandomAccess {

  private final List<Sample> forget;
  private final int[] first;
  private final int[] second;
  private final float[] weight;
  private final int[] dx;
  private final int[] dy;

  private StandIns(List<Sample> forget, int n, long seed, boolean sameClass) {
    this.forget = forget;
    first = new int[n];
    second = new int[n];
    weight = new float[n];
    dx = new int[n];
    dy = new int[n];
    int k = forget.size();
    SplittableRandom rng = new SplittableRandom(seed ^ 0x5354414e44494e53L); // "STANDINS"
    List<List<Integer>> mates = sameClass ? classmates(forget) : null;
    for (int i = 0; i < n; i++) {
      first[i] = rng.nextInt(k);
      int b = rng.nextInt(k - 1);
      second[i] = b >= first[i] ? b + 1 : b;
      List<Integer> same = sameClass ? mates.get(first[i]) : List.of();
      if (same.size() >= 2) {
        int c = rng.nextInt(same.size() - 1);
        int at = same.indexOf(first[i]);
        second[i] = same.get(c >= at ? c + 1 : c);
      }
      weight[i] = 0.3f + 0.4f * (float) rng.nextDouble();
      dx[i] = rng.nextInt(5) - 2;
      dy[i] = rng.nextInt(5) - 2;
    }
  }

  /**
   * For each forget instance, the indices (ascending) of the forget instances with its label,
   * itself included.
   */
  private static List<List<Integer>> classmates(List<Sample> forget) {
    Map<Integer, List<Integer>> byLabel = new HashMap<>();
    List<List<Integer>> mates = new ArrayList<>(forget.size());
    for (int j = 0; j < forget.size(); j++) {
      List<Integer> same = byLabel.computeIfAbsent(forget.get(j).label(), x -> new ArrayList<>());
      same.add(j);
      mates.add(same);
    }
    return mates;
  }

  /**
   * The stand-ins a fine-tune with settings {@code s} holds: {@link UnlearnSettings#standIns()} of
   * them, paired as {@link UnlearnSettings#standInPairs()} says (the one place that reads both).
   */
  static List<Sample> mixtures(List<Sample> forget, UnlearnSettings s, long seed) {
    return mixtures(forget, s.standIns(), seed, s.standInPairs());
  }

  /**
   * {@code n} mixtures of pairs of different forget images (none when there are fewer than two),
   * labelled with the first image's label (unused by the distillation term); with {@link
   * StandInPairs#SAME_CLASS} the second image has the first one's label wherever the forget set
   * holds another image of that label.
   */
  static List<Sample> mixtures(List<Sample> forget, int n, long seed, StandInPairs pairs) {
    return forget.size() < 2 || n == 0
        ? List.of()
        : new StandIns(forget, n, seed, pairs == StandInPairs.SAME_CLASS);
  }

  @Override
  public int size() {
    return first.length;
  }

  @Override
  public Sample get(int i) {
    Objects.checkIndex(i, first.length);
    Sample a = forget.get(first[i]);
    float[] pa = a.pixels();
    float[] pb = forget.get(second[i]).pixels();
    float w = weight[i];
    float[] mixed = new float[pa.length];
    for (int j = 0; j < mixed.length; j++) {
      mixed[j] = w * pa[j] + (1 - w) * pb[j];
    }
    return new Sample(
        "stand-in#" + i, a.label(), a.shape(), Anchors.shift(mixed, a.shape(), dx[i], dy[i]));
  }
}
