package dev.lethe.job.storage;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lethe.data.Sample;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import dev.lethe.job.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The object store dies in the middle of a publish: s3proxy (a separate process) is killed by a
 * proxy in front of it at the instant the job sends the version's manifest, after the model and
 * report went up. No manifest, so no version: the run fails with one line and the folder it began
 * is not a version to any reader. The retry (same run id, the store back up) publishes exactly one
 * version and removes what the dead attempt left.
 */
class PublishFaultIT extends SparkTestBase {

  private static final String BUCKET = "lethe";

  @TempDir static Path tmp;

  @Test
  void aStoreThatDiesBeforeTheManifestLeavesNoVersionAndTheRetryPublishesOnce() throws Exception {
    Path s3dir = tmp.resolve("s3");
    Path models = tmp.resolve("models");
    Files.createDirectories(models);
    Files.copy(JobFixtures.cnn(), models.resolve("digits-cnn-bn.pt"));
    List<Sample> train = JobFixtures.trainSamples();
    List<Sample> forget = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      forget.add(train.get(7 + i * 61));
    }
    Path forgetDir = JobFixtures.writeImageFolder(forget, tmp.resolve("forget"));
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    String out = "s3a://" + BUCKET + "/published";

    Path modelDir;
    S3ProxyServer first = S3ProxyServer.start(s3dir, BUCKET);
    try (FaultProxy proxy =
        FaultProxy.start(
            first.endpoint(), FaultProxy.request("PUT", "/manifest.json"), first::kill)) {
      first.configure(conf);
      conf.set("fs.s3a.endpoint", proxy.endpoint());
      // A dead endpoint fails in seconds, not after S3A's default minutes of retries.
      conf.set("fs.s3a.attempts.maximum", "1");
      conf.set("fs.s3a.retry.limit", "1");
      conf.set("fs.s3a.retry.interval", "100ms");
      conf.set("fs.s3a.connection.establish.timeout", "2s");

      CliRun dead = unlearn(models, forgetDir, out);

      assertThat(proxy.firedOn()).as("the store died at the manifest's PUT").isNotNull();
      assertThat(dead.exitCode()).as("stderr:\n%s", dead.stderr()).isEqualTo(1);
      assertThat(dead.summary().get("status").asText()).isEqualTo("failed");
      assertThat(dead.summary().get("error").asText())
          .as("one line naming the version folder")
          .startsWith("Cannot publish model version " + out + "/digits-cnn-bn/");
      modelDir = s3dir.resolve("s3proxy-data").resolve(BUCKET).resolve("published/digits-cnn-bn");
      List<Path> begun =
          folders(modelDir, "-fault").stream()
              .filter(p -> !p.getFileName().toString().startsWith("."))
              .toList();
      assertThat(begun).as("the version folder the dead attempt began").hasSize(1);
      assertThat(begun.get(0).resolve("model.pt"))
          .as("the model went up before the manifest")
          .isRegularFile();
      assertThat(begun.get(0).resolve("manifest.json")).as("but no manifest").doesNotExist();
    } finally {
      first.kill();
    }

    try (S3ProxyServer second = S3ProxyServer.start(s3dir, BUCKET)) {
      second.configure(conf);
      CliRun retry = unlearn(models, forgetDir, out);
      assertThat(retry.exitCode()).as("retry; stderr:\n%s", retry.stderr()).isZero();
      JsonNode report = retry.summary();
      assertThat(report.get("status").asText()).isEqualTo("published");
      String version = report.get("version").asText();
      String model = out + "/digits-cnn-bn/";
      assertThat(objectFolders(conf, model))
          .as(
              "objects only in the version (with its manifest) and current.json; the dead"
                  + " attempt's folder and every work or temporary folder are gone")
          .containsExactlyInAnyOrder(version, "current.json");
      assertThat(modelDir.resolve(version).resolve("manifest.json")).isRegularFile();

      // A third attempt with the same run id finds the version and publishes nothing new.
      CliRun again = unlearn(models, forgetDir, out);
      assertThat(again.exitCode()).as("again; stderr:\n%s", again.stderr()).isZero();
      assertThat(again.summary().get("version").asText()).isEqualTo(version);
      assertThat(objectFolders(conf, model)).containsExactlyInAnyOrder(version, "current.json");
    }
  }

  private static CliRun unlearn(Path models, Path forget, String out) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "unlearn",
                "--model",
                models.resolve("digits-cnn-bn.pt").toString(),
                "--forget",
                forget.toString(),
                "--out",
                out,
                "--run-id",
                "fault",
                "--preset",
                "lethe"));
    args.addAll(JobFixtures.QUICK_UNLEARN);
    return JobFixtures.cli(args.toArray(String[]::new));
  }

  /**
   * The first path element of every object under {@code uri}, through s3a: what a reader sees (the
   * server's filesystem backend may keep empty folders after a delete, which hold no object).
   */
  private static java.util.Set<String> objectFolders(Configuration conf, String uri)
      throws Exception {
    org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(uri);
    org.apache.hadoop.fs.FileSystem fs = root.getFileSystem(conf);
    java.util.Set<String> out = new java.util.TreeSet<>();
    org.apache.hadoop.fs.RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> files =
        fs.listFiles(root, true);
    String prefix = root.toUri().getPath() + "/";
    while (files.hasNext()) {
      String path = files.next().getPath().toUri().getPath();
      out.add(path.substring(prefix.length()).split("/")[0]);
    }
    return out;
  }

  /** The folders under {@code dir} (on s3proxy's disk) whose names end with {@code suffix}. */
  private static List<Path> folders(Path dir, String suffix) throws Exception {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> list = Files.list(dir)) {
      return list.filter(Files::isDirectory)
          .filter(p -> p.getFileName().toString().endsWith(suffix))
          .sorted()
          .toList();
    }
  }
}
