package dev.lethe.importance;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Partial MAS sums over some of the forget instances, by parameter name in the model's order. They
 * add up across any split of the instances ({@link #plus}); {@link Mas#finish} turns the total into
 * an {@link Importance}. For {@link MasMode#MEAN_GRADIENT} the sums are signed gradient sums, for
 * {@link MasMode#PER_SAMPLE} sums of absolute per-sample gradients.
 *
 * <p>The map is copied; its arrays are shared, not copied, and must not be changed.
 *
 * @param mode how the sums were made
 * @param count how many instances were summed (k)
 * @param sums per parameter tensor, its flat sums
 */
public record ImportanceSums(MasMode mode, long count, LinkedHashMap<String, float[]> sums)
    implements Serializable {

  public ImportanceSums {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(sums, "sums");
    if (count < 0) {
      throw new IllegalArgumentException(
          "Cannot make importance sums over " + count + " instances: the count is negative");
    }
    for (Map.Entry<String, float[]> e : sums.entrySet()) {
      if (e.getValue() == null) {
        throw new IllegalArgumentException(
            "Cannot make importance sums: parameter " + e.getKey() + " has no values");
      }
    }
    sums = new LinkedHashMap<>(sums);
  }

  /** Zero sums over no instance, with the names and sizes of {@code like} (e.g. the model's). */
  public static ImportanceSums empty(MasMode mode, Map<String, float[]> like) {
    LinkedHashMap<String, float[]> zeros = new LinkedHashMap<>();
    like.forEach((name, values) -> zeros.put(name, new float[values.length]));
    return new ImportanceSums(mode, 0, zeros);
  }

  /**
   * The sums over the instances of both parts.
   *
   * @throws IllegalArgumentException when the modes, parameter names (in order) or sizes differ
   */
  public ImportanceSums plus(ImportanceSums other) {
    Objects.requireNonNull(other, "other");
    if (mode != other.mode) {
      throw new IllegalArgumentException(
          "Cannot add importance sums: one was made with "
              + mode
              + " and the other with "
              + other.mode
              + "; compute every partition with the same MAS mode");
    }
    if (sums.size() != other.sums.size()) {
      throw new IllegalArgumentException(
          "Cannot add importance sums: one has "
              + sums.size()
              + " parameter tensors and the other "
              + other.sums.size()
              + "; compute every partition on the same model");
    }
    LinkedHashMap<String, float[]> total = new LinkedHashMap<>();
    Iterator<Map.Entry<String, float[]>> theirs = other.sums.entrySet().iterator();
    for (Map.Entry<String, float[]> mine : sums.entrySet()) {
      Map.Entry<String, float[]> their = theirs.next();
      if (!mine.getKey().equals(their.getKey())) {
        throw new IllegalArgumentException(
            "Cannot add importance sums: parameter "
                + mine.getKey()
                + " meets "
                + their.getKey()
                + " at the same position; compute every partition on the same model");
      }
      float[] a = mine.getValue();
      float[] b = their.getValue();
      if (a.length != b.length) {
        throw new IllegalArgumentException(
            "Cannot add importance sums: parameter "
                + mine.getKey()
                + " has "
                + a.length
                + " values in one and "
                + b.length
                + " in the other; compute every partition on the same model");
      }
      float[] c = new float[a.length];
      for (int i = 0; i < c.length; i++) {
        c[i] = a[i] + b[i];
      }
      total.put(mine.getKey(), c);
    }
    return new ImportanceSums(mode, count + other.count, total);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ImportanceSums s)
        || mode != s.mode
        || count != s.count
        || !sums.keySet().equals(s.sums.keySet())) {
      return false;
    }
    for (Map.Entry<String, float[]> e : sums.entrySet()) {
      if (!Arrays.equals(e.getValue(), s.sums.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = Objects.hash(mode, count);
    for (Map.Entry<String, float[]> e : sums.entrySet()) {
      h = 31 * h + e.getKey().hashCode() + Arrays.hashCode(e.getValue());
    }
    return h;
  }

  @Override
  public String toString() {
    return "ImportanceSums[mode=" + mode + ", count=" + count + ", tensors=" + sums.size() + "]";
  }
}
