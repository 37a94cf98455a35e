package dev.lethe.job.storage;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lethe.data.Sample;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import dev.lethe.job.SparkTestBase;
import dev.lethe.job.model.ModelArtifact;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lethe unlearn} end to end over s3a:// against a real S3 API server, s3proxy, running as a
 * separate process (its jar is copied to job/target/it-tools by Maven before the integration
 * tests): the model, its sidecar and the forget set are uploaded through s3a, the job reads them
 * from the bucket, checkpoints stage A there and publishes the version there, manifest last.
 */
class S3UnlearnIT extends SparkTestBase {

  private static final String BUCKET = "lethe";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;

  private static S3ProxyServer s3proxy;
  private static Path storage;

  @BeforeAll
  static void startS3proxy() throws Exception {
    s3proxy = S3ProxyServer.start(tmp, BUCKET);
    storage = s3proxy.storage();
    s3proxy.configure(spark.sparkContext().hadoopConfiguration());
  }

  @AfterAll
  static void stopS3proxy() throws InterruptedException {
    if (s3proxy != null) {
      s3proxy.close();
    }
  }

  private static FileSystem s3() throws IOException {
    return new org.apache.hadoop.fs.Path("s3a://" + BUCKET + "/")
        .getFileSystem(spark.sparkContext().hadoopConfiguration());
  }

  private static byte[] read(FileSystem fs, String uri) throws IOException {
    try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(uri))) {
      return in.readAllBytes();
    }
  }

  private static List<String> serverFiles(Path dir) throws IOException {
    try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
      return files.map(p -> dir.relativize(p) + (Files.isDirectory(p) ? "/" : "")).toList();
    }
  }

  /** The keys of every object under {@code uri}, as s3a:// URIs (none when it does not exist). */
  private static List<String> objects(FileSystem fs, String uri) throws IOException {
    org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(uri);
    List<String> out = new ArrayList<>();
    if (fs.exists(dir)) {
      RemoteIterator<LocatedFileStatus> files = fs.listFiles(dir, true);
      while (files.hasNext()) {
        out.add(files.next().getPath().toString());
      }
    }
    return out;
  }

  @Test
  void unlearnsFromS3AndPublishesAVersionThere() throws Exception {
    FileSystem fs = s3();
    String models = "s3a://" + BUCKET + "/models/";
    for (String name : List.of("digits-cnn-bn.pt", "digits-cnn-bn.lethe.json")) {
      fs.copyFromLocalFile(
          new org.apache.hadoop.fs.Path(JobFixtures.DIR.resolve(name).toString()),
          new org.apache.hadoop.fs.Path(models + name));
    }
    List<Sample> train = JobFixtures.trainSamples();
    List<Sample> forget = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      forget.add(train.get(10 + i * 41));
    }
    Path local = JobFixtures.writeImageFolder(forget, tmp.resolve("forget"));
    fs.copyFromLocalFile(
        false,
        true,
        new org.apache.hadoop.fs.Path(local.toString()),
        new org.apache.hadoop.fs.Path("s3a://" + BUCKET + "/requests/r1"));
    String out = "s3a://" + BUCKET + "/published";

    String reports = "s3a://" + BUCKET + "/reports/";
    CliRun run = unlearn(models, out, "--run-id", "s3", "--report", reports + "ok.json");
    assertThat(run.exitCode()).as("stderr:\n%s", run.stderr()).isZero();
    JsonNode report = run.summary();
    assertThat(JSON.readTree(read(fs, reports + "ok.json")))
        .as("--report on s3a holds the summary line")
        .isEqualTo(report);
    assertThat(report.get("forget").get("accuracy_after").asDouble()).isZero();
    assertThat(report.get("k").asInt()).isEqualTo(forget.size());
    String version = report.get("version").asText();
    String dir = out + "/digits-cnn-bn/" + version;
    assertThat(report.get("manifest_uri").asText()).isEqualTo(dir + "/manifest.json");
    // S3 holds objects, not folders: every object under the model's folder is in the version,
    // but for the model's current pointer. (s3proxy's filesystem backend can leave an empty
    // directory behind after a recursive delete, which a listing shows as a folder although no
    // object is in it.)
    String current = out + "/digits-cnn-bn/current.json";
    assertThat(objects(fs, out + "/digits-cnn-bn"))
        .as(
            "objects in the bucket: the version's and current.json only, no work or temporary"
                + " ones; on the server: %s",
            serverFiles(storage.resolve(BUCKET).resolve("published")))
        .contains(current)
        .allSatisfy(
            key ->
                assertThat(key)
                    .satisfiesAnyOf(
                        k -> assertThat(k).startsWith(dir + "/"),
                        k -> assertThat(k).isEqualTo(current)));
    JsonNode pointer = JSON.readTree(read(fs, current));
    assertThat(pointer.get("version").asText()).as("current.json on s3a").isEqualTo(version);
    assertThat(pointer.get("model_sha256").asText())
        .as("current.json's hash is the published model.pt's")
        .isEqualTo(ModelArtifact.sha256(read(fs, dir + "/model.pt")));

    JsonNode manifest = JSON.readTree(read(fs, dir + "/manifest.json"));
    assertThat(manifest.get("parent").get("uri").asText()).isEqualTo(models + "digits-cnn-bn.pt");
    for (JsonNode file : manifest.get("files")) {
      byte[] bytes = read(fs, dir + "/" + file.get("name").asText());
      assertThat(ModelArtifact.sha256(bytes)).isEqualTo(file.get("sha256").asText());
    }
    // The objects are s3proxy's: its storage folder holds them.
    Path onServer = storage.resolve(BUCKET).resolve("published/digits-cnn-bn/" + version);
    assertThat(onServer.resolve("model.pt")).isRegularFile();
    assertThat(onServer.resolve("model.lethe.json")).isRegularFile();
    String page = new String(read(fs, dir + "/report.html"), StandardCharsets.UTF_8);
    assertThat(page)
        .as("report.html written through s3a with the other files, before the manifest")
        .startsWith("<!DOCTYPE html>")
        .contains(version, "src=\"data:image/png;base64,");
    try (Classifier model =
        Classifier.load(onServer.resolve("model.pt"), SpecResolver.Partial.empty("test"))) {
      assertThat(model.accuracy(forget, 64)).isZero();
    }

    // A run that misses its goal leaves nothing in the bucket: no version, no work folder.
    CliRun failed =
        unlearn(
            models,
            "s3a://" + BUCKET + "/failed",
            "--set",
            "learning-rate=1e-9",
            "--set",
            "max-epochs=1",
            "--report",
            reports + "failed.json");
    assertThat(failed.exitCode()).as("stderr:\n%s", failed.stderr()).isEqualTo(3);
    assertThat(objects(fs, "s3a://" + BUCKET + "/failed")).isEmpty();
    JsonNode failedReport = JSON.readTree(read(fs, reports + "failed.json"));
    assertThat(failedReport).as("a failed run's report on s3a").isEqualTo(failed.summary());
    assertThat(failedReport.get("status").asText()).isEqualTo("failed");
    assertThat(failedReport.get("exit_code").asInt()).isEqualTo(3);
    assertThat(failedReport.get("forget").get("accuracy_after").asDouble())
        .as("what the run measured before it failed")
        .isPositive();
    assertThat(objects(fs, reports))
        .as("only the two reports: no temporary report objects left")
        .containsExactlyInAnyOrder(reports + "ok.json", reports + "failed.json");
  }

  @Test
  void outputsAreProbedOnS3BeforeAnyWorkAndTheProbeLeavesNothing() throws Exception {
    FileSystem fs = s3();
    String root = "s3a://" + BUCKET + "/probe";
    String fresh = root + "/new/models";
    CliRun dry = local(fresh, "--dry-run");
    assertThat(dry.exitCode()).as("stderr:\n%s", dry.stderr()).isZero();
    assertThat(objects(fs, root))
        .as("no probe object or folder marker left; on the server: %s", serverFiles(storage))
        .isEmpty();

    String file = root + "/a-file";
    try (var out = fs.create(new org.apache.hadoop.fs.Path(file))) {
      out.write('x');
    }
    CliRun onFile = local(file);
    assertThat(onFile.exitCode()).as("stderr:\n%s", onFile.stderr()).isEqualTo(1);
    assertThat(onFile.stderr().strip())
        .startsWith("Cannot write to " + file + " (--out): it is a file, not a folder")
        .doesNotContain("\n");
    // (A path under an object is not tried here: s3proxy's file-system backend answers a HEAD of
    // it with 500, where S3 answers 404; OutputProbeTest covers it on the local file system.)
    CliRun noBucket = local("s3a://no-such-bucket/out");
    assertThat(noBucket.exitCode()).as("stderr:\n%s", noBucket.stderr()).isEqualTo(1);
    assertThat(noBucket.stderr().strip())
        .startsWith("Cannot write to s3a://no-such-bucket/out (--out): its bucket does not exist")
        .doesNotContain("\n");
    assertThat(noBucket.summary().has("stage")).as("nothing read or run").isFalse();
  }

  /** unlearn of the local fixtures, published to {@code out}. */
  private static CliRun local(String out, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "unlearn",
                "--model",
                JobFixtures.cnn().toString(),
                "--forget",
                JobFixtures.trainImages().toString(),
                "--forget-ids",
                "digits/0",
                "--out",
                out));
    args.addAll(JobFixtures.QUICK_UNLEARN);
    args.addAll(List.of(extra));
    return JobFixtures.cli(args.toArray(String[]::new));
  }

  private static CliRun unlearn(String models, String out, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "unlearn",
                "--model",
                models + "digits-cnn-bn.pt",
                "--forget",
                "s3a://" + BUCKET + "/requests/r1",
                "--out",
                out,
                "--preset",
                "lethe"));
    args.addAll(JobFixtures.QUICK_UNLEARN);
    args.addAll(List.of(extra));
    return JobFixtures.cli(args.toArray(String[]::new));
  }
}
