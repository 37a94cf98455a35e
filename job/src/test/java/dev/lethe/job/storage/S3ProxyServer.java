package dev.lethe.job.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.job.JobFixtures;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.hadoop.conf.Configuration;

/**
 * A real S3 API server, s3proxy, as a separate process on a free loopback port (in the test JVM it
 * would clash with Spark's Jetty and Jackson): filesystem backend under {@code dir}, one bucket,
 * SigV2/V4 with fixed test credentials. Its jar is copied to job/target/it-tools by Maven before
 * the integration tests. Closing it stops the process.
 */
public final class S3ProxyServer implements AutoCloseable {

  /** The access key the server accepts. */
  public static final String ACCESS_KEY = "lethe-access";

  /** The secret key the server accepts. */
  public static final String SECRET_KEY = "lethe-secret";

  private final Process process;
  private final String endpoint;
  private final Path storage;
  private final Path log;

  private S3ProxyServer(Process process, String endpoint, Path storage, Path log) {
    this.process = process;
    this.endpoint = endpoint;
    this.storage = storage;
    this.log = log;
  }

  /** Starts s3proxy with {@code bucket} under {@code dir} and waits until it answers. */
  public static S3ProxyServer start(Path dir, String bucket) throws Exception {
    Path jar = JobFixtures.repo().resolve("job/target/it-tools/s3proxy.jar");
    assertThat(jar)
        .as("s3proxy jar (mvn verify copies it before the integration tests)")
        .isRegularFile();
    Path storage = dir.resolve("s3proxy-data");
    Files.createDirectories(storage.resolve(bucket)); // a folder is a bucket
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String endpoint = "http://127.0.0.1:" + port;
    Path properties = dir.resolve("s3proxy.properties");
    Files.writeString(
        properties,
        String.join(
            "\n",
            "s3proxy.endpoint=" + endpoint,
            "s3proxy.authorization=aws-v2-or-v4",
            "s3proxy.identity=" + ACCESS_KEY,
            "s3proxy.credential=" + SECRET_KEY,
            "jclouds.provider=filesystem",
            "jclouds.filesystem.basedir=" + storage,
            ""));
    Path log = dir.resolve("s3proxy.log");
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-jar",
            jar.toString(),
            "--properties",
            properties.toString());
    pb.redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    S3ProxyServer server = new S3ProxyServer(pb.start(), endpoint, storage, log);
    server.awaitHttp(Duration.ofSeconds(60));
    return server;
  }

  /** The server's endpoint, {@code http://127.0.0.1:PORT}. */
  public String endpoint() {
    return endpoint;
  }

  /** The folder that holds the buckets, one sub-folder each. */
  public Path storage() {
    return storage;
  }

  /** Points s3a at this server in {@code conf}: endpoint, path-style access, the credentials. */
  public void configure(Configuration conf) {
    conf.set("fs.s3a.endpoint", endpoint);
    conf.set("fs.s3a.endpoint.region", "us-east-1");
    conf.set("fs.s3a.path.style.access", "true");
    conf.set("fs.s3a.connection.ssl.enabled", "false");
    conf.set("fs.s3a.access.key", ACCESS_KEY);
    conf.set("fs.s3a.secret.key", SECRET_KEY);
    conf.set(
        "fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
    conf.set("fs.s3a.impl.disable.cache", "true");
  }

  private void awaitHttp(Duration timeout) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "s3proxy exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      try {
        http.send(
            HttpRequest.newBuilder(URI.create(endpoint)).build(),
            HttpResponse.BodyHandlers.discarding());
        return; // any answer (403 too) means it serves
      } catch (IOException e) {
        Thread.sleep(200);
      }
    }
    throw new IllegalStateException("s3proxy did not answer at " + endpoint + " in " + timeout);
  }

  /** Stops the server at once, as a crash would (SIGKILL): its storage folder stays. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    process.waitFor();
  }
}
