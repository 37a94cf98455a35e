package dev.lethe.job.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;
import scala.Tuple2;

/**
 * Finds or starts the job's Spark session. The master is never set in code when one is configured
 * (spark-submit, {@code --conf spark.master} or {@code -Dspark.master}); without one the job runs
 * embedded in {@code local[*]}. A session that was already running (a test's, a notebook's) is used
 * and left running; one started here is stopped on {@link Handle#close()}.
 */
public final class SparkSessions {

  /** Master used when none is configured: every core of this machine, in this JVM. */
  public static final String EMBEDDED_MASTER = "local[*]";

  private static final Logger LOG = LoggerFactory.getLogger(SparkSessions.class);

  private SparkSessions() {}

  /** A session and whether closing the handle stops it. */
  public record Handle(SparkSession session, boolean owned) implements AutoCloseable {
    @Override
    public void close() {
      if (owned) {
        session.stop();
      }
    }
  }

  /** The running session if there is one, else a new one named {@code appName}. */
  public static Handle open(String appName) {
    return open(appName, java.util.Map.of());
  }

  /**
   * The running session if there is one, else a new one named {@code appName} started with {@code
   * staticConf} (settings a running session cannot take; a running one is used as it is).
   */
  public static Handle open(String appName, java.util.Map<String, String> staticConf) {
    Option<SparkSession> active = SparkSession.getActiveSession();
    if (active.isDefined()) {
      return new Handle(active.get(), false);
    }
    Option<SparkSession> fallback = SparkSession.getDefaultSession();
    if (fallback.isDefined()) {
      return new Handle(fallback.get(), false);
    }
    SparkConf conf = new SparkConf();
    if (!conf.contains("spark.master")) {
      LOG.info("No spark.master configured: running embedded in {}", EMBEDDED_MASTER);
      conf.setMaster(EMBEDDED_MASTER);
    }
    conf.setIfMissing("spark.app.name", appName);
    staticConf.forEach(conf::setIfMissing);
    SparkSession.Builder builder = SparkSession.builder();
    for (Tuple2<String, String> entry : conf.getAll()) {
      builder.config(entry._1(), entry._2());
    }
    return new Handle(builder.getOrCreate(), true);
  }
}
