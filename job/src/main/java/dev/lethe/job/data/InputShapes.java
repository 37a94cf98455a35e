package dev.lethe.job.data;

import dev.lethe.data.ImageShape;
import dev.lethe.data.Sample;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The input shape data implies for a model without a declared one: the most common shape among the
 * samples at hand, not the first sample's, so that one odd image (a grayscale PNG among RGB ones)
 * is the sample the shape check names instead of the shape every other image is held to.
 */
public final class InputShapes {

  private InputShapes() {}

  /** The most common shape of {@code samples} (the earliest of equally common ones). */
  public static ImageShape mostCommon(List<Sample> samples) {
    if (samples.isEmpty()) {
      throw new IllegalArgumentException("Cannot infer an input shape from no samples");
    }
    Map<ImageShape, Integer> counts = new LinkedHashMap<>();
    for (Sample s : samples) {
      counts.merge(s.shape(), 1, Integer::sum);
    }
    ImageShape best = null;
    int most = 0;
    for (Map.Entry<ImageShape, Integer> e : counts.entrySet()) {
      if (e.getValue() > most) {
        best = e.getKey();
        most = e.getValue();
      }
    }
    return best;
  }
}
