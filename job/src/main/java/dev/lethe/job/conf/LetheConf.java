package dev.lethe.job.conf;

import dev.lethe.job.failure.UsageException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.SparkConf;
import scala.Tuple2;

/**
 * The job's tuning values: {@code spark.lethe.*} Spark properties, each with a documented default
 * here and in conf/lethe-defaults.conf. Precedence: a command-line option, then {@code --conf} (or
 * {@code -Dspark.lethe.*}), then conf/lethe-defaults.conf, then the built-in default. Unknown
 * {@code spark.lethe.*} keys are rejected, so a misspelt setting never passes silently.
 */
public final class LetheConf {

  /** Prefix of every Lethe setting. */
  public static final String PREFIX = "spark.lethe.";

  /**
   * Images per forward pass on an executor (evaluation); the CLI option {@code --batch-size}
   * overrides it. Larger batches are faster until memory runs out.
   */
  public static final String BATCH_SIZE = PREFIX + "batchSize";

  /** Default of {@link #BATCH_SIZE}. */
  public static final int BATCH_SIZE_DEFAULT = 256;

  private static final Map<String, String> KNOWN = new TreeMap<>();

  static {
    KNOWN.put(BATCH_SIZE, Integer.toString(BATCH_SIZE_DEFAULT));
  }

  private final int batchSize;

  private LetheConf(int batchSize) {
    this.batchSize = batchSize;
  }

  /** The built-in defaults. */
  public static LetheConf defaults() {
    return new LetheConf(BATCH_SIZE_DEFAULT);
  }

  /**
   * Reads and validates the Lethe settings of a Spark configuration.
   *
   * @throws UsageException naming the key when a {@code spark.lethe.*} key is unknown or its value
   *     is malformed
   */
  public static LetheConf from(SparkConf conf) {
    Map<String, String> values = new TreeMap<>();
    for (Tuple2<String, String> entry : conf.getAllWithPrefix(PREFIX)) {
      values.put(PREFIX + entry._1(), entry._2());
    }
    return from(values);
  }

  /**
   * Reads and validates Lethe settings from a map of Spark properties (other keys are ignored).
   *
   * @throws UsageException naming the key when a {@code spark.lethe.*} key is unknown or its value
   *     is malformed
   */
  public static LetheConf from(Map<String, String> properties) {
    List<String> unknown = new ArrayList<>();
    for (String key : properties.keySet()) {
      if (key.startsWith(PREFIX) && !KNOWN.containsKey(key)) {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      throw new UsageException(
          "Cannot configure Lethe: unknown setting"
              + (unknown.size() == 1 ? " " : "s ")
              + String.join(", ", unknown)
              + "; the known settings are "
              + String.join(", ", KNOWN.keySet())
              + " (see conf/lethe-defaults.conf)");
    }
    int batchSize =
        positiveInt(BATCH_SIZE, properties.getOrDefault(BATCH_SIZE, KNOWN.get(BATCH_SIZE)));
    return new LetheConf(batchSize);
  }

  /** Every known key with its built-in default, sorted by key. */
  public static Map<String, String> knownKeys() {
    return new TreeMap<>(KNOWN);
  }

  /** The value of {@link #BATCH_SIZE}. */
  public int batchSize() {
    return batchSize;
  }

  private static int positiveInt(String key, String value) {
    try {
      int parsed = Integer.parseInt(value.trim());
      if (parsed > 0) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new UsageException(
        "Cannot configure Lethe: " + key + " is '" + value + "'; give a whole number of 1 or more");
  }
}
