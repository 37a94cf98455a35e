package dev.lethe.job.unlearn;

import dev.lethe.data.Sample;
import dev.lethe.job.model.ModelArtifact;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;

/**
 * A seeded random draw of k samples ({@code --sample k}): each sample's key is the SHA-256 of the
 * seed and its id, and the k smallest keys win. The draw depends only on the seed and the ids, not
 * on the partitioning or the order of the data, so a rerun with the same seed forgets the same
 * instances.
 */
public final class RandomDraw {

  private RandomDraw() {}

  /** Up to {@code k} samples of {@code samples} (fewer only when there are fewer). */
  static List<Sample> draw(JavaRDD<Sample> samples, int k, long seed) {
    return samples.map(s -> new Keyed(key(seed, s.id()), s)).takeOrdered(k).stream()
        .map(Keyed::sample)
        .toList();
  }

  /**
   * Splits {@code samples} into {@code n} drawn at random (the same keys as {@link #draw}) and the
   * rest; both keep the samples' order.
   */
  static Split split(List<Sample> samples, int n, long seed) {
    Set<Sample> chosen = Collections.newSetFromMap(new IdentityHashMap<>());
    samples.stream()
        .map(s -> new Keyed(key(seed, s.id()), s))
        .sorted()
        .limit(n)
        .forEach(k -> chosen.add(k.sample()));
    List<Sample> drawn = new ArrayList<>(chosen.size());
    List<Sample> rest = new ArrayList<>(samples.size() - chosen.size());
    for (Sample s : samples) {
      (chosen.contains(s) ? drawn : rest).add(s);
    }
    return new Split(drawn, rest);
  }

  /** The two parts of {@link #split}. */
  record Split(List<Sample> drawn, List<Sample> rest) {}

  /**
   * {@link #split(List, int, long)} of samples that stay on the executors: the same {@code n}
   * samples drawn (ties of key and id go to the earlier sample, as the stable sort there does),
   * collected to the driver in the input's order; the rest stays an RDD in the input's order. Only
   * the drawn samples and the keys, ids and positions of {@code n} samples come to the driver.
   */
  public static RddSplit split(JavaRDD<Sample> samples, int n, long seed) {
    JavaPairRDD<Sample, Long> indexed = samples.zipWithIndex();
    Set<Long> chosen = new HashSet<>();
    indexed
        .map(t -> new KeyedPosition(key(seed, t._1().id()), t._1().id(), t._2()))
        .takeOrdered(n)
        .forEach(k -> chosen.add(k.position()));
    List<Sample> drawn = indexed.filter(t -> chosen.contains(t._2())).keys().collect();
    JavaRDD<Sample> rest = indexed.filter(t -> !chosen.contains(t._2())).keys();
    return new RddSplit(drawn, rest);
  }

  /** The two parts of {@link #split(JavaRDD, int, long)}: drawn on the driver, the rest not. */
  public record RddSplit(List<Sample> drawn, JavaRDD<Sample> rest) {}

  /** A sample's draw key, id and position in its RDD, ordered by key, id, then position. */
  record KeyedPosition(long key, String id, long position)
      implements Serializable, Comparable<KeyedPosition> {
    @Override
    public int compareTo(KeyedPosition o) {
      int c = Long.compare(key, o.key);
      if (c == 0) {
        c = id.compareTo(o.id);
      }
      return c != 0 ? c : Long.compare(position, o.position);
    }
  }

  static long key(long seed, String id) {
    String hex =
        ModelArtifact.sha256((seed + "\n" + id).getBytes(StandardCharsets.UTF_8)).substring(0, 16);
    return Long.parseUnsignedLong(hex, 16) >>> 1;
  }

  /** A sample with its draw key, ordered by key and then id. */
  record Keyed(long key, Sample sample) implements Serializable, Comparable<Keyed> {
    @Override
    public int compareTo(Keyed o) {
      int c = Long.compare(key, o.key);
      return c != 0 ? c : sample.id().compareTo(o.sample.id());
    }
  }
}
