package dev.lethe.unlearn;

import dev.lethe.data.ImageShape;
import dev.lethe.data.Sample;
import dev.lethe.model.Classifier;
import java.util.ArrayList;
import java.util.List;

/**
 * Shifted copies of the forget images, labelled with the original model's prediction. Forgetting an
 * instance should not forget its class: a copy moved by a pixel or two is, for the model, a
 * near-duplicate, and keeping the original outputs there leaves the concept in place while the
 * exact instance is moved across the boundary. Needs no data beyond the forget set.
 */
final class Anchors {

  /** Shifts in order of use: the 8 one-pixel neighbours, then two-pixel moves. */
  private static final int[][] SHIFTS = {
    {1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, 1}, {-1, -1}, {1, -1}, {-1, 1},
    {2, 0}, {-2, 0}, {0, 2}, {0, -2}, {2, 2}, {-2, -2}, {2, -2}, {-2, 2}
  };

  private Anchors() {}

  /**
   * {@code perInstance} shifted copies of each forget image (at most 16), labelled with the model's
   * current prediction for the copy.
   */
  static List<Sample> shifted(List<Sample> forget, int perInstance, Classifier model, int batch) {
    int n = Math.min(perInstance, SHIFTS.length);
    List<Sample> copies = new ArrayList<>(forget.size() * n);
    for (Sample s : forget) {
      for (int j = 0; j < n; j++) {
        copies.add(
            new Sample(
                s.id() + "#shift" + j,
                s.label(),
                s.shape(),
                shift(s.pixels(), s.shape(), SHIFTS[j][0], SHIFTS[j][1])));
      }
    }
    if (copies.isEmpty()) {
      return copies;
    }
    int[] predicted = model.predict(copies, batch);
    List<Sample> out = new ArrayList<>(copies.size());
    for (int i = 0; i < copies.size(); i++) {
      out.add(copies.get(i).withLabel(predicted[i]));
    }
    return out;
  }

  /**
   * Two-pixel shifted copies of each forget image (the moves {@link #shifted} uses last), for
   * scoring candidates on near-duplicates that the anchors of the default count (8, one pixel)
   * never train on.
   */
  static List<Sample> probes(List<Sample> forget) {
    List<Sample> out = new ArrayList<>();
    for (Sample s : forget) {
      for (int j = 8; j < SHIFTS.length; j++) {
        out.add(
            new Sample(
                s.id() + "#probe" + j,
                s.label(),
                s.shape(),
                shift(s.pixels(), s.shape(), SHIFTS[j][0], SHIFTS[j][1])));
      }
    }
    return out;
  }

  /** The CHW image moved by (dx, dy) pixels, edge pixels repeated into the gap. */
  static float[] shift(float[] pixels, ImageShape shape, int dx, int dy) {
    int h = shape.height();
    int w = shape.width();
    float[] out = new float[pixels.length];
    for (int c = 0; c < shape.channels(); c++) {
      int base = c * h * w;
      for (int y = 0; y < h; y++) {
        int sy = Math.min(h - 1, Math.max(0, y - dy));
        for (int x = 0; x < w; x++) {
          int sx = Math.min(w - 1, Math.max(0, x - dx));
          out[base + y * w + x] = pixels[base + sy * w + sx];
        }
      }
    }
    return out;
  }
}
