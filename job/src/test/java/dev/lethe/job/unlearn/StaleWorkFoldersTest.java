package dev.lethe.job.unlearn;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import dev.lethe.job.SparkTestBase;
import dev.lethe.job.report.JobJson;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, {@code kill -9}: a run killed in stage A leaves {@code .work-<version>} with its owner
 * file; the next unlearn run of the same model removes it, and leaves a live run's folder and a
 * kept one ({@code --keep-work}, marked {@code "keep": true}).
 */
class StaleWorkFoldersTest extends SparkTestBase {

  @TempDir Path tmp;

  private static final String OWNER = "_owner.json";

  private static CliRun unlearn(Path out, String runId, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "unlearn",
                "--model",
                JobFixtures.cnn().toString(),
                "--forget",
                JobFixtures.trainImages().toString(),
                "--forget-ids",
                "digits/0,digits/37,digits/74,digits/111",
                "--out",
                out.toString(),
                "--run-id",
                runId));
    args.addAll(JobFixtures.QUICK_UNLEARN);
    args.addAll(List.of(extra));
    return JobFixtures.cli(args.toArray(String[]::new));
  }

  private static Path plant(Path modelDir, String name, long pid, String pidStarted)
      throws Exception {
    Path dir = Files.createDirectories(modelDir.resolve(name).resolve("adversarial"));
    Files.writeString(dir.resolve("part-00000.parquet"), "rows");
    Instant heard = Instant.now().minusSeconds(300);
    // As a run writes it (WorkFolder.Owner), spelt out: the file format is what runs share.
    Map<String, Object> owner = new LinkedHashMap<>();
    owner.put("host", InetAddress.getLocalHost().getHostName());
    owner.put("pid", pid);
    owner.put("pid_started", pidStarted);
    owner.put("run_id", name);
    owner.put("started", heard.minusSeconds(60).toString());
    owner.put("heartbeat", heard.toString());
    owner.put("keep", false);
    Files.writeString(dir.getParent().resolve(OWNER), JobJson.line(owner));
    return dir.getParent();
  }

  private static List<String> workFolders(Path modelDir) throws Exception {
    try (Stream<Path> s = Files.list(modelDir)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(".work-"))
          .sorted()
          .toList();
    }
  }

  @Test
  void theNextRunRemovesAKilledRunsFolderAndLeavesLiveAndKeptOnes() throws Exception {
    Path out = tmp.resolve("out");
    Path modelDir = out.resolve("digits-cnn-bn");
    Process ended = new ProcessBuilder("true").start();
    assertThat(ended.waitFor()).isZero();
    Path killed = plant(modelDir, ".work-20260101T000000Z-killed", ended.pid(), null);
    ProcessHandle me = ProcessHandle.current();
    Path live =
        plant(
            modelDir,
            ".work-20260101T000000Z-live",
            me.pid(),
            me.info().startInstant().orElseThrow().toString());

    CliRun kept = unlearn(out, "kept-1", "--keep-work");

    assertThat(kept.exitCode()).as("stderr:\n%s", kept.stderr()).isZero();
    assertThat(killed).as("the killed run's folder").doesNotExist();
    assertThat(live).as("the live run's folder").isDirectory();
    List<String> left = workFolders(modelDir);
    assertThat(left).hasSize(2).contains(live.getFileName().toString());
    Path keptDir =
        modelDir.resolve(
            left.stream().filter(n -> n.endsWith("-kept-1")).findFirst().orElseThrow());
    JsonNode owner = JobJson.mapper().readTree(keptDir.resolve(OWNER).toFile());
    assertThat(owner.get("keep").asBoolean()).as("kept folders say so").isTrue();
    assertThat(owner.get("run_id").asText()).isEqualTo("kept-1");
    assertThat(owner.get("pid").asLong()).isEqualTo(me.pid());

    // The kept run's JVM has ended, as it has when the next run comes (here it is this one).
    ((com.fasterxml.jackson.databind.node.ObjectNode) owner)
        .put("pid", ended.pid())
        .put("heartbeat", Instant.now().minusSeconds(3600).toString());
    Files.writeString(keptDir.resolve(OWNER), owner.toString());
    Files.deleteIfExists(keptDir.resolve("." + OWNER + ".crc"));

    CliRun next = unlearn(out, "next-1");

    assertThat(next.exitCode()).as("stderr:\n%s", next.stderr()).isZero();
    assertThat(workFolders(modelDir))
        .as("the kept and the live folders stay; the run's own goes")
        .containsExactlyInAnyOrder(live.getFileName().toString(), keptDir.getFileName().toString());
  }
}
