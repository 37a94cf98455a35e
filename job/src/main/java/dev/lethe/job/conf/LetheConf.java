package dev.lethe.job.conf;

import dev.lethe.attack.PgdSettings;
import dev.lethe.data.ImageShape;
import dev.lethe.job.failure.UsageException;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.TuningKey;
import dev.lethe.unlearn.TuningOptions;
import dev.lethe.unlearn.TuningTable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.SparkConf;
import scala.Tuple2;

/**
 * The job's settings as {@code spark.lethe.*} Spark properties: {@link #BATCH_SIZE} and one
 * property per tuning key of lethe-common's {@link TuningTable}, named {@code spark.lethe.<key>}
 * with the key exactly as {@code --set} writes it (e.g. {@code spark.lethe.learning-rate}, {@code
 * spark.lethe.pgd.steps}). So every setting travels with {@code spark-submit --conf} and {@code
 * --properties-file}.
 *
 * <p>Precedence, highest first: a command-line option ({@code --set KEY=VALUE}, {@code
 * --batch-size}), then {@code --conf}, a properties file or {@code -Dspark.lethe.*}, then
 * conf/lethe-defaults.conf ({@link ConfLayers}), then the built-in default, which for a tuning key
 * depends on the preset and goal. Unknown {@code spark.lethe.*} keys and malformed or out-of-range
 * values are rejected before any work, naming the key, so a misspelt setting never passes silently.
 */
public final class LetheConf {

  /** Prefix of every Lethe setting. */
  public static final String PREFIX = "spark.lethe.";

  /**
   * Images per forward pass on an executor (evaluation); the CLI option {@code --batch-size}
   * overrides it. Larger batches are faster until memory runs out.
   */
  public static final String BATCH_SIZE = PREFIX + "batchSize";

  /**
   * The defaults file a launcher gave spark-submit as {@code --properties-file} ({@code
   * lethe-submit} sets it), so that {@code config --explain} can tell the file's values from {@code
   * --conf}; not a setting of the run.
   */
  public static final String DEFAULTS_FILE = PREFIX + "defaultsFile";

  /** Default of {@link #BATCH_SIZE}. */
  public static final int BATCH_SIZE_DEFAULT = 256;

  /** The input shape the tuning values are checked with before the model's is known. */
  private static final ImageShape CHECK_SHAPE = new ImageShape(1, 28, 28);

  private final int batchSize;
  private final Map<String, String> tuning;

  private LetheConf(int batchSize, Map<String, String> tuning) {
    this.batchSize = batchSize;
    this.tuning = Collections.unmodifiableMap(tuning);
  }

  /** The built-in defaults. */
  public static LetheConf defaults() {
    return new LetheConf(BATCH_SIZE_DEFAULT, new LinkedHashMap<>());
  }

  /** The Spark property of a tuning key: {@code spark.lethe.<key>}. */
  public static String property(TuningKey<?> key) {
    return PREFIX + key.name();
  }

  /** The tuning key a {@code spark.lethe.*} property names, if it names one. */
  public static Optional<TuningKey<?>> tuningKey(String property) {
    return property.startsWith(PREFIX)
        ? TuningTable.key(property.substring(PREFIX.length()))
        : Optional.empty();
  }

  /**
   * Reads and validates the Lethe settings of a Spark configuration.
   *
   * @throws UsageException naming the key when a {@code spark.lethe.*} key is unknown or its value
   *     is malformed or out of range
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
   *     is malformed or out of range
   */
  public static LetheConf from(Map<String, String> properties) {
    List<String> unknown = new ArrayList<>();
    for (String key : properties.keySet()) {
      if (key.startsWith(PREFIX)
          && !key.equals(BATCH_SIZE)
          && !key.equals(DEFAULTS_FILE)
          && tuningKey(key).isEmpty()) {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      throw new UsageException(
          "Cannot configure Lethe: unknown setting"
              + (unknown.size() == 1 ? " " : "s ")
              + String.join(", ", unknown)
              + "; the known settings are "
              + BATCH_SIZE
              + " and "
              + PREFIX
              + "<key> for the tuning keys "
              + String.join(", ", TuningOptions.KEYS)
              + " (see conf/lethe-defaults.conf)");
    }
    int batchSize =
        positiveInt(
            BATCH_SIZE, properties.getOrDefault(BATCH_SIZE, Integer.toString(BATCH_SIZE_DEFAULT)));
    Map<String, String> tuning = new LinkedHashMap<>();
    for (TuningKey<?> key : TuningTable.keys()) {
      String value = properties.get(property(key));
      if (value != null) {
        check(key, value);
        tuning.put(key.name(), value.trim());
      }
    }
    checkTogether(tuning);
    return new LetheConf(batchSize, tuning);
  }

  /**
   * Every known key with its built-in default (for a tuning key: preset lethe, goal misclassify),
   * batch size first, then the tuning keys in table order.
   */
  public static Map<String, String> knownKeys() {
    Map<String, String> out = new LinkedHashMap<>();
    out.put(BATCH_SIZE, Integer.toString(BATCH_SIZE_DEFAULT));
    for (TuningKey<?> key : TuningTable.keys()) {
      out.put(property(key), key.defaultText(TuningTable.Preset.LETHE, Goal.MISCLASSIFY));
    }
    return out;
  }

  /** The value of {@link #BATCH_SIZE}. */
  public int batchSize() {
    return batchSize;
  }

  /** The tuning values these properties set: tuning key (as {@code --set} writes it) to value. */
  public Map<String, String> tuning() {
    return tuning;
  }

  /**
   * The tuning of a run: these properties' values with the command line's {@code --set} options
   * ({@code options}, key to value) over them.
   */
  public Map<String, String> tuning(Map<String, String> options) {
    Map<String, String> out = new LinkedHashMap<>(tuning);
    out.putAll(options);
    return out;
  }

  /** Refuses a value that is not of the key's kind or out of its range, naming the property. */
  private static void check(TuningKey<?> key, String value) {
    try {
      TuningOptions.apply(
          TuningTable.preset(TuningTable.Preset.LETHE, Goal.MISCLASSIFY),
          PgdSettings.defaults(CHECK_SHAPE),
          Map.of(key.name(), value));
    } catch (IllegalArgumentException e) {
      throw new UsageException(
          "Cannot configure Lethe: "
              + property(key)
              + " is '"
              + value.trim()
              + "'; give "
              + what(key));
    }
  }

  /** Refuses values that are each in range but not together (escalate-max below forget-weight). */
  private static void checkTogether(Map<String, String> tuning) {
    try {
      TuningOptions.apply(
          TuningTable.preset(TuningTable.Preset.LETHE, Goal.MISCLASSIFY),
          PgdSettings.defaults(CHECK_SHAPE),
          tuning);
    } catch (IllegalArgumentException e) {
      throw new UsageException("Cannot configure Lethe: spark.lethe.* settings: " + e.getMessage());
    }
  }

  /** What a key takes, as a refusal says it: "a decimal > 0", "one of l2, linf". */
  private static String what(TuningKey<?> key) {
    return switch (key.kind()) {
      case CHOICE -> key.rule();
      case BOOLEAN -> "true or false";
      default ->
          (key.kind() == TuningKey.Kind.INTEGER ? "a whole number" : "a " + key.kind().spelling())
              + (key.rule().isEmpty() ? "" : ", " + key.rule());
    };
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
