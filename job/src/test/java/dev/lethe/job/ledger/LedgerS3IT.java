package dev.lethe.job.ledger;

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
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ledger on s3a:// against a real S3 API server, s3proxy, in its own process (its jar is copied
 * to job/target/it-tools by Maven before the integration tests): Delta's log and data objects land
 * in the bucket, MERGE and time travel work there.
 */
class LedgerS3IT extends DeltaSparkTestBase {

  private static final String BUCKET = "lethe";

  @TempDir static Path tmp;

  private static Process s3proxy;
  private static Path storage;

  @BeforeAll
  static void startS3proxy() throws Exception {
    Path jar = JobFixtures.repo().resolve("job/target/it-tools/s3proxy.jar");
    assertThat(jar)
        .as("s3proxy jar (mvn verify copies it before the integration tests)")
        .isRegularFile();
    storage = tmp.resolve("s3proxy-data");
    Files.createDirectories(storage.resolve(BUCKET)); // a folder is a bucket
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String endpoint = "http://127.0.0.1:" + port;
    Path properties = tmp.resolve("s3proxy.properties");
    Files.writeString(
        properties,
        String.join(
            "\n",
            "s3proxy.endpoint=" + endpoint,
            "s3proxy.authorization=aws-v2-or-v4",
            "s3proxy.identity=lethe-access",
            "s3proxy.credential=lethe-secret",
            "jclouds.provider=filesystem",
            "jclouds.filesystem.basedir=" + storage,
            ""));
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-jar",
            jar.toString(),
            "--properties",
            properties.toString());
    pb.redirectErrorStream(true);
    pb.redirectOutput(tmp.resolve("s3proxy.log").toFile());
    s3proxy = pb.start();
    awaitHttp(endpoint, Duration.ofSeconds(60));

    Configuration conf = spark.sparkContext().hadoopConfiguration();
    conf.set("fs.s3a.endpoint", endpoint);
    conf.set("fs.s3a.endpoint.region", "us-east-1");
    conf.set("fs.s3a.path.style.access", "true");
    conf.set("fs.s3a.connection.ssl.enabled", "false");
    conf.set("fs.s3a.access.key", "lethe-access");
    conf.set("fs.s3a.secret.key", "lethe-secret");
    conf.set(
        "fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
    conf.set("fs.s3a.impl.disable.cache", "true");
  }

  @AfterAll
  static void stopS3proxy() throws InterruptedException {
    if (s3proxy != null) {
      s3proxy.destroy();
      s3proxy.waitFor();
    }
  }

  private static void awaitHttp(String endpoint, Duration timeout) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!s3proxy.isAlive()) {
        throw new IllegalStateException(
            "s3proxy exited with "
                + s3proxy.exitValue()
                + ":\n"
                + Files.readString(tmp.resolve("s3proxy.log")));
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

  @Test
  void recordsMergesAndTimeTravelsOnS3() throws IOException {
    String uri = "s3a://" + BUCKET + "/ledgers/fashion";
    Ledger ledger = Ledger.open(spark, uri);
    List<Outcome> batch =
        List.of(
            Outcome.forgotten(
                "r-001", "digits-cnn", "v1", "ab12", List.of("train/4"), 0.0, 0.9, 0.88),
            Outcome.rejected("r-002", "unknown subject u999"));
    ledger.record(batch);
    ledger.record(batch);
    ledger.record(List.of(Outcome.rejected("r-003", "no ids")));

    assertThat(Ledger.open(spark, uri).outcomes())
        .as("outcomes on S3, read by a new handle")
        .extracting(Outcome::requestId, Outcome::status)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("r-001", Status.FORGOTTEN),
            org.assertj.core.groups.Tuple.tuple("r-002", Status.REJECTED),
            org.assertj.core.groups.Tuple.tuple("r-003", Status.REJECTED));
    assertThat(ledger.version()).as("versions: create and three merges").isEqualTo(3);
    assertThat(ledger.outcomesAsOf(2)).as("as of version 2").hasSize(2);
    assertThat(ledger.pendingIds(List.of("r-001", "r-004"))).as("pending").containsExactly("r-004");
    try (var files = Files.walk(storage.resolve(BUCKET))) {
      assertThat(files.map(p -> storage.resolve(BUCKET).relativize(p).toString()))
          .as("objects in the bucket")
          .contains(
              "ledgers/fashion/_delta_log/00000000000000000000.json",
              "ledgers/fashion/_delta_log/00000000000000000003.json");
    }
  }
}
