package dev.lethe.unlearn;

import dev.lethe.data.Sample;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Synthetic images that stand in for a held-out sample when the user has none: each is a mixture of
 * two different forget images, {@code w a + (1 - w) b} with {@code w} drawn from [0.3, 0.7],
 * shifted by up to two pixels. They lie between the forgotten instances rather than on them, so
 * holding the original model's outputs there does not fight the forget term, yet they spread the
 * distillation term over image-like inputs beyond the adversarial examples and anchors. Needs no
 * data beyond the forget set; the same seed and forget set give the same images.
 */
final class StandIns {

  private StandIns() {}

  /**
   * {@code n} mixtures of pairs of different forget images (none when there are fewer than two),
   * labelled with the first image's label (unused by the distillation term).
   */
  static List<Sample> mixtures(List<Sample> forget, int n, long seed) {
    int k = forget.size();
    if (k < 2 || n == 0) {
      return List.of();
    }
    SplittableRandom rng = new SplittableRandom(seed ^ 0x5354414e44494e53L); // "STANDINS"
    List<Sample> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int ia = rng.nextInt(k);
      int ib = rng.nextInt(k - 1);
      ib = ib >= ia ? ib + 1 : ib;
      Sample a = forget.get(ia);
      float[] pa = a.pixels();
      float[] pb = forget.get(ib).pixels();
      float w = 0.3f + 0.4f * (float) rng.nextDouble();
      float[] mixed = new float[pa.length];
      for (int j = 0; j < mixed.length; j++) {
        mixed[j] = w * pa[j] + (1 - w) * pb[j];
      }
      float[] shifted = Anchors.shift(mixed, a.shape(), rng.nextInt(5) - 2, rng.nextInt(5) - 2);
      out.add(new Sample("stand-in#" + i, a.label(), a.shape(), shifted));
    }
    return out;
  }
}
