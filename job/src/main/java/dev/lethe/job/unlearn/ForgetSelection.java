package dev.lethe.job.unlearn;

import dev.lethe.data.Sample;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * The forget rows a request names by id ({@code --forget-ids}, every sweep run), selected on the
 * executors: the driver receives the matching rows only, never the forget data set, however large
 * the training table is.
 *
 * <p>The ids travel as one broadcast set, not as a join: a request names at most some thousands of
 * ids (tens of kilobytes, shipped once per executor), while a join would shuffle the whole data set
 * to meet them.
 */
final class ForgetSelection {

  private ForgetSelection() {}

  /**
   * The samples of {@code ids} in the order of {@code ids}, a repeated id once (the order the run's
   * stages and results depend on). Where the data holds an id twice, its last row wins, as when the
   * driver read the whole data set.
   *
   * @param uri the forget data, as messages name it
   * @param limit the run's {@code --limit}, 0 when not given, as messages name it
   * @throws IllegalArgumentException naming the first id of {@code ids} the data does not hold
   */
  static List<Sample> select(JavaRDD<Sample> samples, List<String> ids, String uri, int limit) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(samples.context());
    Broadcast<HashSet<String>> wanted = jsc.broadcast(new HashSet<>(ids));
    List<Sample> found;
    try {
      found = samples.filter(s -> wanted.value().contains(s.id())).collect();
    } finally {
      wanted.destroy();
    }
    Map<String, Sample> byId = new HashMap<>();
    found.forEach(s -> byId.put(s.id(), s));
    List<Sample> forget = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String id : ids) {
      Sample s = byId.get(id);
      if (s == null) {
        List<Sample> first = samples.take(1);
        throw new IllegalArgumentException(
            "Cannot unlearn: forget id "
                + id
                + " is not in forget data "
                + uri
                + (limit > 0 ? " (within --limit " + limit + ")" : "")
                + "; ids there look like "
                + (first.isEmpty() ? "(none)" : first.get(0).id()));
      }
      if (seen.add(id)) {
        forget.add(s);
      }
    }
    return forget;
  }
}
