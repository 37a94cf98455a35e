package dev.lethe.job.conf;

import dev.lethe.job.failure.UsageException;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.TuningKey;
import dev.lethe.unlearn.TuningTable;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.spark.SparkConf;
import scala.Tuple2;

/**
 * Where Spark properties come from, lowest precedence last: the Spark configuration ({@code
 * --conf}, a properties file, {@code -Dspark.*}) and the defaults file, conf/lethe-defaults.conf.
 *
 * <p>spark-submit reads the defaults file itself ({@code lethe-submit} passes it as {@code
 * --properties-file}), so its values arrive as Spark configuration. The embedded launcher, {@code
 * deploy/bin/lethe}, has no spark-submit: it names the file in the system property {@link
 * #DEFAULTS_PROPERTY} and the job reads it here, under every {@code -D}/{@code --conf}.
 *
 * @param spark the {@code spark.*} properties of the JVM's Spark configuration
 * @param defaultsFile the {@code spark.*} properties of the defaults file (empty when none is
 *     named)
 */
public record ConfLayers(Map<String, String> spark, Map<String, String> defaultsFile) {

  /** System property naming the defaults file for a run without spark-submit. */
  public static final String DEFAULTS_PROPERTY = "lethe.defaults";

  /** What the value of a setting is masked as when its key may name a secret. */
  public static final String MASK = "*****";

  /** Where an effective value came from, highest precedence first. */
  public enum Source {
    /** A command-line option: {@code --set KEY=VALUE}, {@code --batch-size}. */
    OPTION("option"),
    /** {@code --conf}, a properties file given to spark-submit, or {@code -Dspark.*}. */
    SPARK_CONF("spark conf/properties"),
    /** conf/lethe-defaults.conf (or the file {@code lethe.defaults} names). */
    DEFAULTS_FILE("defaults file"),
    /** The built-in default (for a tuning key: of the preset and goal). */
    BUILT_IN("built-in");

    private final String label;

    Source(String label) {
      this.label = label;
    }

    /** How {@code lethe config --explain} names it. */
    public String label() {
      return label;
    }
  }

  /** One effective setting: its key, value and where the value came from. */
  public record Setting(String key, String value, Source source) {}

  public ConfLayers {
    spark = Collections.unmodifiableMap(new TreeMap<>(spark));
    defaultsFile = Collections.unmodifiableMap(new TreeMap<>(defaultsFile));
  }

  /**
   * This JVM's layers: the {@code spark.*} system properties and the defaults file that {@link
   * #DEFAULTS_PROPERTY} names.
   *
   * @throws UsageException when the named defaults file cannot be read
   */
  public static ConfLayers load() {
    Map<String, String> spark = new TreeMap<>();
    for (Tuple2<String, String> entry : new SparkConf().getAll()) {
      spark.put(entry._1(), entry._2());
    }
    String file = System.getProperty(DEFAULTS_PROPERTY);
    if (file != null && !file.isBlank()) {
      return new ConfLayers(spark, readDefaults(Path.of(file)));
    }
    // Under spark-submit the file's values are already Spark configuration; the file is read
    // only to label them, and may be absent where the driver runs (cluster deploy mode).
    String submitted = spark.get(LetheConf.DEFAULTS_FILE);
    if (submitted != null && Files.isReadable(Path.of(submitted))) {
      return new ConfLayers(spark, readDefaults(Path.of(submitted)));
    }
    return new ConfLayers(spark, Map.of());
  }

  /**
   * The {@code spark.*} properties of a defaults file, as spark-submit reads a properties file
   * ({@link Properties} format: {@code key value}, {@code key=value} or {@code key: value}; values
   * trimmed). Other keys are dropped, as spark-submit drops them.
   *
   * @throws UsageException naming the file when it does not exist or cannot be read
   */
  public static Map<String, String> readDefaults(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new UsageException(
          "Cannot read the defaults file "
              + file
              + " (named by -D"
              + DEFAULTS_PROPERTY
              + " or LETHE_DEFAULTS): no such file; give an existing file");
    }
    Properties props = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      props.load(in);
    } catch (IOException | IllegalArgumentException e) {
      throw new UsageException(
          "Cannot read the defaults file "
              + file
              + ": "
              + e.getMessage()
              + "; give key value lines");
    }
    Map<String, String> out = new TreeMap<>();
    for (String key : props.stringPropertyNames()) {
      if (key.startsWith("spark.")) {
        out.put(key, props.getProperty(key).trim());
      }
    }
    return out;
  }

  /**
   * The Spark properties in effect: the defaults file's, with the Spark configuration's over them.
   */
  public Map<String, String> merged() {
    Map<String, String> out = new TreeMap<>(defaultsFile);
    out.putAll(spark);
    return out;
  }

  /**
   * The Lethe settings of a run in {@code session}'s configuration, with the defaults file's under
   * it (a session started here already holds them; one that was running, a test's or a notebook's,
   * does not).
   *
   * @throws UsageException naming the key of a setting that is unknown, malformed or out of range
   */
  public LetheConf letheConf(SparkConf session) {
    Map<String, String> out = new TreeMap<>(defaultsFile);
    for (Tuple2<String, String> entry : session.getAll()) {
      out.put(entry._1(), entry._2());
    }
    return LetheConf.from(out);
  }

  /**
   * The settings a session started here is given under the Spark configuration (which it reads
   * itself): the command's own static settings, then the defaults file's over them.
   */
  public Map<String, String> staticConf(Map<String, String> command) {
    Map<String, String> out = new LinkedHashMap<>(command);
    out.putAll(defaultsFile);
    return out;
  }

  /** Where the value of {@code key} comes from, without options; null when no layer sets it. */
  Source sourceOf(String key) {
    String fromSpark = spark.get(key);
    String fromFile = defaultsFile.get(key);
    if (fromSpark != null && !fromSpark.equals(fromFile)) {
      return Source.SPARK_CONF;
    }
    // spark-submit reads --properties-file into the Spark configuration: a value equal to the
    // defaults file's is the file's.
    return fromFile != null ? Source.DEFAULTS_FILE : null;
  }

  /**
   * Every {@code spark.lethe.*} setting in effect for a preset and goal: {@link
   * LetheConf#BATCH_SIZE}, then each tuning key in table order, with its source.
   *
   * @param options the {@code --set} options, key to value
   * @param batchSizeOption {@code --batch-size}, or null
   */
  public List<Setting> lethe(
      Map<String, String> options, String batchSizeOption, TuningTable.Preset preset, Goal goal) {
    Map<String, String> merged = merged();
    List<Setting> out = new ArrayList<>();
    out.add(
        batchSizeOption != null
            ? new Setting(LetheConf.BATCH_SIZE, batchSizeOption.trim(), Source.OPTION)
            : layered(
                LetheConf.BATCH_SIZE, merged, Integer.toString(LetheConf.BATCH_SIZE_DEFAULT)));
    for (TuningKey<?> key : TuningTable.keys()) {
      String property = LetheConf.property(key);
      String option = options.get(key.name());
      out.add(
          option != null
              ? new Setting(property, option.trim(), Source.OPTION)
              : layered(property, merged, key.defaultText(preset, goal)));
    }
    return out;
  }

  private Setting layered(String key, Map<String, String> merged, String builtIn) {
    Source source = sourceOf(key);
    return source == null
        ? new Setting(key, builtIn, Source.BUILT_IN)
        : new Setting(key, merged.get(key).trim(), source);
  }

  /** The Spark properties other than {@code spark.lethe.*} that are set, secrets masked. */
  public List<Setting> others() {
    List<Setting> out = new ArrayList<>();
    merged()
        .forEach(
            (key, value) -> {
              if (!key.startsWith(LetheConf.PREFIX)) {
                out.add(new Setting(key, shown(key, value), sourceOf(key)));
              }
            });
    return out;
  }

  /**
   * A value as it may be shown: {@link #MASK} when its key contains {@code secret}, {@code
   * password}, {@code token} or {@code key} in any case (e.g. {@code
   * spark.hadoop.fs.s3a.secret.key}, {@code spark.hadoop.fs.s3a.access.key}), or when the value
   * itself does (e.g. {@code -Dfs.s3a.secret.key=...} in {@code spark.driver.extraJavaOptions}).
   */
  public static String shown(String key, String value) {
    return mayNameASecret(key) || mayNameASecret(value) ? MASK : value;
  }

  private static boolean mayNameASecret(String text) {
    String t = text.toLowerCase(Locale.ROOT);
    for (String word : List.of("secret", "password", "token", "key")) {
      if (t.contains(word)) {
        return true;
      }
    }
    return false;
  }
}
