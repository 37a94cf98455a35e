package dev.lethe.job.cluster;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Spark standalone cluster on 127.0.0.1 for integration tests: one master and N one-core workers,
 * each a separate JVM started through {@code SPARK_HOME/bin/spark-class} of a Spark home that
 * deploy/bin/make-spark-home assembled from the Maven jars. Closing it kills the master, the
 * workers and every executor they started.
 */
public final class StandaloneCluster implements AutoCloseable {

  private final List<Process> processes = new ArrayList<>();
  private final List<Path> workerDirs = new ArrayList<>();
  private final Path sparkHome;
  private final Path logs;
  private String masterUrl;
  private int webUiPort;

  private StandaloneCluster(Path sparkHome, Path logs) {
    this.sparkHome = sparkHome;
    this.logs = logs;
  }

  /**
   * Assembles a Spark home at {@code dest} from the Maven jars with deploy/bin/make-spark-home, as
   * an operator would, and returns it.
   */
  public static Path makeSparkHome(Path dest) throws Exception {
    dev.lethe.job.JobFixtures.CliRun home =
        dev.lethe.job.JobFixtures.process(
            List.of(
                "bash",
                dev.lethe.job.JobFixtures.repo().resolve("deploy/bin/make-spark-home").toString(),
                dest.toString()),
            Map.of(),
            Duration.ofMinutes(5));
    if (home.exitCode() != 0) {
      throw new IllegalStateException("make-spark-home failed: " + home.stderr());
    }
    return dest;
  }

  /** Starts the master and {@code workers} workers and waits until all of them are ALIVE. */
  public static StandaloneCluster start(Path sparkHome, Path dir, int workers) throws Exception {
    Files.createDirectories(dir);
    StandaloneCluster cluster = new StandaloneCluster(sparkHome, dir);
    try {
      int port = freePort();
      cluster.webUiPort = freePort();
      cluster.masterUrl = "spark://127.0.0.1:" + port;
      cluster.spawn(
          "master",
          "org.apache.spark.deploy.master.Master",
          "--host",
          "127.0.0.1",
          "--port",
          Integer.toString(port),
          "--webui-port",
          Integer.toString(cluster.webUiPort));
      cluster.awaitMasterJson("\"status\" : \"ALIVE\"", Duration.ofSeconds(90));
      for (int i = 0; i < workers; i++) {
        Path workDir = dir.resolve("worker-" + i);
        Files.createDirectories(workDir);
        cluster.workerDirs.add(workDir);
        cluster.spawn(
            "worker-" + i,
            "org.apache.spark.deploy.worker.Worker",
            "--host",
            "127.0.0.1",
            "--cores",
            "1",
            "--memory",
            "2g",
            "--work-dir",
            workDir.toString(),
            "--webui-port",
            Integer.toString(freePort()),
            cluster.masterUrl);
      }
      cluster.awaitMasterJson("\"aliveworkers\" : " + workers, Duration.ofSeconds(90));
      return cluster;
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  /** {@code spark://127.0.0.1:PORT}. */
  public String masterUrl() {
    return masterUrl;
  }

  /** Each worker's work folder: {@code <app-id>/<executor-id>/stderr} per executor it ran. */
  public List<Path> workerDirs() {
    return List.copyOf(workerDirs);
  }

  private void spawn(String name, String mainClass, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(sparkHome.resolve("bin/spark-class").toString());
    command.add(mainClass);
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    Map<String, String> env = pb.environment();
    env.put("SPARK_HOME", sparkHome.toString());
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("SPARK_DAEMON_MEMORY", "512m");
    pb.redirectErrorStream(true);
    pb.redirectOutput(logs.resolve(name + ".log").toFile());
    processes.add(pb.start());
  }

  private void awaitMasterJson(String expected, Duration timeout) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webUiPort + "/json/"))
            .timeout(Duration.ofSeconds(5))
            .build();
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "(no answer)";
    while (System.nanoTime() < deadline) {
      for (Process p : processes) {
        if (!p.isAlive()) {
          throw new IllegalStateException(
              "A Spark daemon exited with "
                  + p.exitValue()
                  + " while the cluster started; see the logs in "
                  + logs);
        }
      }
      try {
        last = http.send(request, HttpResponse.BodyHandlers.ofString()).body();
        if (last.contains(expected)) {
          return;
        }
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException(
        "The Spark master did not report " + expected + " in " + timeout + "; last: " + last);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
    }
    for (Process p : processes) {
      try {
        if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
  }
}
