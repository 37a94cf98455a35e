package dev.lethe.job.storage;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * Bounded S3A timeouts and retries: with Hadoop's own defaults an s3a:// endpoint that does not
 * answer keeps a run waiting for many minutes with no log line (6 SDK attempts inside each of 8 S3A
 * tries, 30 s to connect, 60 s per request). These give up on an endpoint that refuses connections
 * in a few seconds, one that drops them in about a minute (4 tries of 15 s), and one that accepts
 * but never answers in about 2 minutes (4 requests of 30 s). Each is set only where Hadoop's
 * built-in default (core-default.xml) is all there is: a value from {@code --conf
 * spark.hadoop.fs.s3a.*}, a properties file, core-site.xml or a per-bucket option ({@code
 * fs.s3a.bucket.NAME.*}) wins.
 */
public final class S3aDefaults {

  /** How Hadoop names the source of a value it read from its built-in defaults. */
  private static final String HADOOP_DEFAULTS = "core-default.xml";

  /** The source recorded for a value set here. */
  static final String SOURCE = "lethe built-in default";

  /** Key to value, in Hadoop's units (durations with their unit). */
  public static final Map<String, String> VALUES;

  static {
    Map<String, String> values = new LinkedHashMap<>();
    // AWS SDK retries inside each S3A try (Hadoop: 5); S3A's own retries below cover the same
    // failures, with backoff, as Hadoop's S3A documentation advises.
    values.put("fs.s3a.attempts.maximum", "0");
    // S3A's own retries of a failed call, 500 ms doubling (Hadoop: 7).
    values.put("fs.s3a.retry.limit", "3");
    // Time to open a TCP connection to the endpoint (Hadoop: 30s; S3A raises anything lower than
    // 15s to 15s).
    values.put("fs.s3a.connection.establish.timeout", "15s");
    // Time for one request to be answered; uploads have their own (Hadoop: 60s).
    values.put("fs.s3a.connection.request.timeout", "30s");
    VALUES = java.util.Collections.unmodifiableMap(values);
  }

  private S3aDefaults() {}

  /**
   * Sets each of {@link #VALUES} in {@code conf} where its value is Hadoop's built-in default or
   * unset.
   *
   * @return {@code conf}
   */
  public static Configuration apply(Configuration conf) {
    VALUES.forEach(
        (key, value) -> {
          if (onlyHadoopDefault(conf, key)) {
            conf.set(key, value, SOURCE);
          }
        });
    return conf;
  }

  private static boolean onlyHadoopDefault(Configuration conf, String key) {
    if (conf.get(key) == null) {
      return true;
    }
    String[] sources = conf.getPropertySources(key);
    return sources != null
        && sources.length > 0
        && Arrays.stream(sources).allMatch(HADOOP_DEFAULTS::equals);
  }
}
