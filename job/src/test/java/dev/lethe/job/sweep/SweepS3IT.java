package dev.lethe.job.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import dev.lethe.job.ledger.DeltaSparkTestBase;
import dev.lethe.job.ledger.Ledger;
import dev.lethe.job.ledger.Outcome;
import dev.lethe.job.ledger.Status;
import dev.lethe.job.ledger.SweepLock;
import dev.lethe.job.model.ModelArtifact;
import dev.lethe.job.storage.S3ProxyServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lethe sweep} and {@code lethe audit} with the requests, the subjects table, the ledger,
 * its sweep lock and the published versions all on s3a://, against s3proxy in its own process.
 */
class SweepS3IT extends DeltaSparkTestBase {

  private static final String BUCKET = "compliance";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;

  private static S3ProxyServer s3proxy;
  private static Path bucket;

  @BeforeAll
  static void startS3proxy() throws Exception {
    s3proxy = S3ProxyServer.start(tmp, BUCKET);
    bucket = s3proxy.storage().resolve(BUCKET);
    s3proxy.configure(spark.sparkContext().hadoopConfiguration());
  }

  @AfterAll
  static void stopS3proxy() throws InterruptedException {
    if (s3proxy != null) {
      s3proxy.close();
    }
  }

  private static void upload(String key, String text) throws Exception {
    Path local = tmp.resolve("upload-" + key.replace('/', '_'));
    Files.writeString(local, text);
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path("s3a://" + BUCKET + "/" + key);
    target
        .getFileSystem(spark.sparkContext().hadoopConfiguration())
        .copyFromLocalFile(new org.apache.hadoop.fs.Path(local.toUri()), target);
  }

  private static CliRun sweep() {
    List<String> args =
        new ArrayList<>(
            List.of(
                "sweep",
                "--goal",
                "misclassify",
                "--requests",
                "s3a://" + BUCKET + "/requests/",
                "--ledger",
                "s3a://" + BUCKET + "/ledger",
                "--dataset",
                JobFixtures.trainImages().toString(),
                "--subjects",
                "s3a://" + BUCKET + "/subjects.csv",
                "--model",
                JobFixtures.cnn().toString(),
                "--out",
                "s3a://" + BUCKET + "/models",
                "--test",
                JobFixtures.testImages().toString(),
                "--max-per-run",
                "8"));
    args.addAll(JobFixtures.QUICK_UNLEARN);
    return JobFixtures.cli(args.toArray(String[]::new));
  }

  @Test
  void sweepsOnS3ThenDoesNothingAndAuditsFromS3() throws Exception {
    upload(
        "requests/2026-12-01.jsonl",
        "{\"request_id\": \"s-001\", \"subject\": \"u7\"}\n"
            + "{\"request_id\": \"s-002\", \"subject\": \"u404\"}\n");
    upload("subjects.csv", "subject,id\nu7,digits/11\nu7,digits/22\n");

    CliRun first = sweep();
    assertThat(first.exitCode()).as("sweep; stderr:\n%s", first.stderr()).isZero();
    JsonNode summary = first.summary();
    assertThat(summary.get("counts").get("forgotten").asInt()).as("forgotten").isEqualTo(1);
    assertThat(summary.get("counts").get("rejected").asInt()).as("rejected").isEqualTo(1);
    String version = summary.get("versions").get(0).asText();
    Path versionDir = bucket.resolve("models/digits-cnn-bn").resolve(version);
    assertThat(versionDir.resolve("manifest.json")).as("manifest object").isRegularFile();
    JsonNode current = JSON.readTree(bucket.resolve("models/digits-cnn-bn/current.json").toFile());
    assertThat(current.get("version").asText()).as("current.json on S3").isEqualTo(version);

    Ledger ledger = Ledger.open(spark, "s3a://" + BUCKET + "/ledger");
    Outcome s1 = ledger.outcome("s-001").orElseThrow();
    assertThat(s1.status()).as("s-001").isEqualTo(Status.FORGOTTEN);
    assertThat(s1.version()).as("s-001 version").isEqualTo(version);
    assertThat(s1.modelSha256())
        .as("s-001 model sha, of the object in the bucket")
        .isEqualTo(ModelArtifact.sha256(Files.readAllBytes(versionDir.resolve("model.pt"))));
    assertThat(ledger.outcome("s-002").orElseThrow().reason()).as("s-002").contains("u404");
    SweepLock.Lease lease = SweepLock.current(ledger).orElseThrow();
    assertThat(lease.releasedAt()).as("the sweep released its lease").isNotNull();
    try (Stream<Path> files = Files.walk(bucket)) {
      assertThat(files.map(p -> bucket.relativize(p).toString()))
          .as("the ledger and its lock are Delta tables in the bucket")
          .contains(
              "ledger/_delta_log/00000000000000000000.json",
              "ledger_sweep_lock/_delta_log/00000000000000000000.json");
    }

    CliRun again = sweep();
    assertThat(again.exitCode()).as("second sweep; stderr:\n%s", again.stderr()).isZero();
    assertThat(again.summary().get("versions").size()).as("nothing new").isZero();

    CliRun audit =
        JobFixtures.cli(
            "audit",
            "--ledger",
            "s3a://" + BUCKET + "/ledger",
            "--request",
            "s-001",
            "--out",
            "s3a://" + BUCKET + "/models");
    assertThat(audit.exitCode()).as("audit; stderr:\n%s", audit.stderr()).isZero();
    JsonNode report = audit.summary();
    assertThat(report.get("version").asText()).as("audited version").isEqualTo(version);
    assertThat(report.get("manifest_sha256").asText())
        .as("manifest hash")
        .isEqualTo(ModelArtifact.sha256(Files.readAllBytes(versionDir.resolve("manifest.json"))));
    assertThat(report.get("samples_found").asInt()).as("samples found").isEqualTo(2);
    assertThat(report.get("still_forgotten").asBoolean()).as("still forgotten").isTrue();
  }
}
