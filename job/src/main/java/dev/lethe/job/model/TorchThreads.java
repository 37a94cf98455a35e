package dev.lethe.job.model;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sizes libtorch's intra-op thread pool for a JVM that runs several Spark tasks at once.
 *
 * <p>libtorch defaults to one thread per core for every forward pass; with N concurrent tasks per
 * JVM that oversubscribes the cores N times. Unless {@code -Dai.djl.pytorch.num_threads} is given
 * (which always wins), the engine gets {@code cores / concurrent tasks} threads (at least 1), where
 * the cores are the JVM's: the machine's in local mode, the executor's {@code spark.executor.cores}
 * on a cluster (a one-core executor gets 1 thread on a machine of many cores). DJL reads the
 * property once, when the engine loads, so this must run before the first model load in the JVM;
 * later calls change nothing. Where the executor's core count is unknown ({@code
 * spark.executor.cores} unset outside local mode) it assumes one task per core, which never
 * oversubscribes.
 */
public final class TorchThreads {

  /** DJL's system property for libtorch's intra-op threads. */
  public static final String PROPERTY = "ai.djl.pytorch.num_threads";

  private static final Logger LOG = LoggerFactory.getLogger(TorchThreads.class);
  private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\d+)?])?");
  private static final Pattern LOCAL_CLUSTER =
      Pattern.compile("local-cluster\\[\\s*\\d+\\s*,\\s*(\\d+)\\s*,\\s*\\d+\\s*]");

  private TorchThreads() {}

  /**
   * Sets {@link #PROPERTY} for this JVM from the Spark configuration, unless it is set already.
   *
   * @return the number of threads in force for engines loaded from now on
   */
  public static synchronized int configure(SparkConf conf) {
    String given = System.getProperty(PROPERTY);
    if (given != null && !given.isBlank()) {
      return parseOr(given, Runtime.getRuntime().availableProcessors());
    }
    int cores = Runtime.getRuntime().availableProcessors();
    int tasks = concurrentTasks(conf, cores);
    int threads = threadsFor(conf, cores);
    System.setProperty(PROPERTY, Integer.toString(threads));
    LOG.info(
        "libtorch intra-op threads per forward: {} ({} cores, up to {} concurrent tasks in this"
            + " JVM); set -D{} to change it",
        threads,
        cores,
        tasks,
        PROPERTY);
    return threads;
  }

  /**
   * How many tasks one JVM of this application runs at once: the local master's thread count, or
   * {@code spark.executor.cores / spark.task.cpus}.
   *
   * @param cores the cores of this machine, for {@code local[*]} and an unset executor core count
   */
  public static int concurrentTasks(SparkConf conf, int cores) {
    String master = conf.get("spark.master", "local[*]").trim();
    int taskCpus = Math.max(1, conf.getInt("spark.task.cpus", 1));
    Matcher local = LOCAL.matcher(master);
    if (local.matches()) {
      String n = local.group(1);
      int slots = n == null ? 1 : n.equals("*") ? cores : Integer.parseInt(n);
      return Math.max(1, slots / taskCpus);
    }
    Matcher cluster = LOCAL_CLUSTER.matcher(master);
    int executorCores =
        cluster.matches()
            ? Integer.parseInt(cluster.group(1))
            : conf.getInt("spark.executor.cores", cores);
    return Math.max(1, executorCores / taskCpus);
  }

  /**
   * Intra-op threads for each concurrent task of this JVM: the JVM's cores (a local master's
   * machine, else the executor's {@code spark.executor.cores}, at most the machine's) shared among
   * its {@link #concurrentTasks concurrent tasks}. A one-core executor gets 1 thread even on a
   * machine with more cores, which other executors use.
   *
   * @param cores the cores of this machine
   */
  public static int threadsFor(SparkConf conf, int cores) {
    return threadsPerTask(Math.min(cores, jvmCores(conf, cores)), concurrentTasks(conf, cores));
  }

  /** The cores this JVM's tasks may use: see {@link #threadsFor}. */
  private static int jvmCores(SparkConf conf, int cores) {
    String master = conf.get("spark.master", "local[*]").trim();
    if (LOCAL.matcher(master).matches()) {
      return cores;
    }
    Matcher cluster = LOCAL_CLUSTER.matcher(master);
    if (cluster.matches()) {
      return Integer.parseInt(cluster.group(1));
    }
    return Math.max(1, conf.getInt("spark.executor.cores", cores));
  }

  /** Intra-op threads for each of {@code tasks} concurrent tasks on {@code cores} cores. */
  public static int threadsPerTask(int cores, int tasks) {
    return Math.max(1, cores / Math.max(1, tasks));
  }

  private static int parseOr(String value, int fallback) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }
}
