package dev.lethe.job.unlearn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Publisher}: manifest last, temporary folder renamed, versions never overwritten. */
class PublisherTest {

  @TempDir Path tmp;

  private static Map<String, byte[]> files(String content) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("model.pt", content.getBytes(StandardCharsets.UTF_8));
    files.put("report.json", "{}".getBytes(StandardCharsets.UTF_8));
    return files;
  }

  @Test
  void publishesThenRefusesToOverwriteAVersion() throws Exception {
    Publisher publisher = new Publisher(new Configuration());
    String uri =
        publisher.publish(
            tmp.toString(),
            "m",
            "v1",
            files("first"),
            entries -> {
              assertThat(entries)
                  .extracting(Publisher.FileEntry::name)
                  .containsExactly("model.pt", "report.json");
              return "manifest".getBytes(StandardCharsets.UTF_8);
            });
    Path dir = tmp.resolve("m").resolve("v1");
    assertThat(uri).endsWith("m/v1");
    assertThat(Files.readString(dir.resolve("model.pt"))).isEqualTo("first");
    assertThat(Files.readString(dir.resolve("manifest.json"))).isEqualTo("manifest");

    assertThatThrownBy(
            () -> publisher.publish(tmp.toString(), "m", "v1", files("second"), e -> new byte[0]))
        .hasMessageContaining("never overwritten");
    assertThat(Files.readString(dir.resolve("model.pt"))).isEqualTo("first");

    assertThatThrownBy(
            () ->
                publisher.publish(
                    tmp.toString(),
                    "m",
                    "v2",
                    files("third"),
                    e -> {
                      throw new IllegalStateException("Cannot make the manifest");
                    }))
        .hasMessageContaining("manifest");
    try (Stream<Path> s = Files.list(tmp.resolve("m"))) {
      assertThat(s.map(p -> p.getFileName().toString()).toList())
          .as("the failed version left no temporary folder")
          .containsExactlyInAnyOrder("current.json", "v1");
    }
    assertThat(Files.readString(tmp.resolve("m").resolve("current.json")))
        .as("a failed publish leaves the pointer on the last version")
        .contains("\"version\" : \"v1\"");
  }

  /**
   * A full disk: Hadoop's local file system throws an FSError (an Error) from the write, which the
   * IOException and RuntimeException handlers let through; the half-written version must still go
   * and the message must say what happened in one line.
   */
  @Test
  void aFullDiskLeavesNoHalfWrittenVersionAndSaysSo() throws Exception {
    Configuration conf = new Configuration();
    conf.set("fs.diskfull.impl", org.apache.hadoop.fs.DiskFullFileSystem.class.getName());
    conf.setBoolean("fs.diskfull.impl.disable.cache", true);
    Publisher publisher = new Publisher(conf);
    String out = "diskfull://" + tmp.toAbsolutePath();
    assertThatThrownBy(
            () -> publisher.publish(out, "m", "v1", files("weights"), e -> new byte[] {1}))
        .isInstanceOf(java.io.UncheckedIOException.class)
        .hasMessageStartingWith("Cannot publish model version ")
        .hasMessageContaining("m/v1: No space left on device; free space on that storage");
    try (Stream<Path> s = Files.list(tmp.resolve("m"))) {
      assertThat(s.toList()).as("nothing of the version is left").isEmpty();
    }
  }

  @Test
  void everyPublishPointsCurrentJsonAtItsVersionAfterTheManifest() throws Exception {
    Configuration conf = new Configuration();
    Publisher publisher = new Publisher(conf);
    String out = tmp.toString();
    assertThat(CurrentVersion.read(conf, out, "m")).as("nothing published yet").isEmpty();
    publisher.publish(
        out,
        "m",
        "v1",
        files("first"),
        e -> {
          assertThat(CurrentVersion.read(conf, out, "m"))
              .as("the pointer is written after the manifest, not before")
              .isEmpty();
          return "manifest".getBytes(StandardCharsets.UTF_8);
        });
    CurrentVersion first = CurrentVersion.read(conf, out, "m").orElseThrow();
    assertThat(first.version()).as("first pointer").isEqualTo("v1");
    assertThat(first.modelUri()).as("model uri").endsWith("m/v1/model.pt");
    assertThat(first.modelSha256())
        .as("model sha")
        .isEqualTo(
            dev.lethe.job.model.ModelArtifact.sha256("first".getBytes(StandardCharsets.UTF_8)));
    publisher.publish(out, "m", "v2", files("second"), e -> new byte[] {'{', '}'});
    CurrentVersion second = CurrentVersion.read(conf, out, "m").orElseThrow();
    assertThat(second.version()).as("second pointer").isEqualTo("v2");
    assertThat(second.modelSha256()).as("second sha").isNotEqualTo(first.modelSha256());
    try (Stream<Path> s = Files.list(tmp.resolve("m"))) {
      assertThat(s.map(p -> p.getFileName().toString()).sorted().toList())
          .as("replaced through a rename: no temporary pointer file left")
          .containsExactly("current.json", "v1", "v2");
    }
  }

  @Test
  void localFilesPublishThroughARenameObjectStoresDoNot() throws Exception {
    org.apache.hadoop.fs.Path local = new org.apache.hadoop.fs.Path(tmp.toUri());
    assertThat(Publisher.renamesAtomically(local.getFileSystem(new Configuration()))).isTrue();
    org.apache.hadoop.fs.Path s3 = new org.apache.hadoop.fs.Path("s3a://bucket/models");
    Configuration conf = new Configuration();
    conf.set("fs.s3a.endpoint", "http://127.0.0.1:1");
    conf.set("fs.s3a.impl.disable.cache", "true");
    // Creating an S3A client contacts nothing; only the scheme decides.
    assertThat(Publisher.renamesAtomically(s3.getFileSystem(conf))).isFalse();
  }
}
