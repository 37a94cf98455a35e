package dev.lethe.job.unlearn;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lethe.job.report.JobJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: work folders left by runs that died ({@code kill -9}, a lost node) are removed by the
 * next run of the same model, on the real local file system; those of live runs, and kept ones,
 * stay, each with one line that says why.
 */
class WorkFolderTest {

  @TempDir Path tmp;

  private final Configuration hadoop = new Configuration();
  private final Instant now = Instant.now();
  private final List<String> progress = new ArrayList<>();

  /** The pid of a process that has ended. */
  private static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    assertThat(p.waitFor()).isZero();
    assertThat(ProcessHandle.of(p.pid()).filter(ProcessHandle::isAlive)).isEmpty();
    return p.pid();
  }

  private static String self() {
    return ProcessHandle.current().info().startInstant().orElseThrow().toString();
  }

  private Path plant(String name, String host, long pid, String pidStarted, Instant heartbeat)
      throws Exception {
    return plant(name, host, pid, pidStarted, null, heartbeat, false);
  }

  private Path plant(
      String name, String host, long pid, String pidStarted, Instant heartbeat, boolean keep)
      throws Exception {
    return plant(name, host, pid, pidStarted, null, heartbeat, keep);
  }

  private Path plant(
      String name,
      String host,
      long pid,
      String pidStarted,
      Long pidStartTicks,
      Instant heartbeat,
      boolean keep)
      throws Exception {
    Path dir = tmp.resolve("model").resolve(name);
    Files.createDirectories(dir.resolve("adversarial"));
    Files.writeString(dir.resolve("adversarial/part-0.parquet"), "rows");
    Files.writeString(
        dir.resolve(WorkFolder.OWNER),
        JobJson.line(
            new WorkFolder.Owner(
                host,
                pid,
                pidStarted,
                pidStartTicks,
                "r-" + name,
                heartbeat.minusSeconds(60).toString(),
                heartbeat.toString(),
                keep)));
    return dir;
  }

  /** The sweep's line for a folder whose run (pid on this host) is not running. */
  private static String notRunning(Path dir, long pid) {
    return "removed work folder " + uri(dir) + ": its run (" + where(pid) + ") is not running";
  }

  /** The sweep's line for a live run's folder (pid on this host). */
  private static String liveRun(Path dir, long pid) {
    return "work folder " + uri(dir) + " belongs to a live run (" + where(pid) + "); left alone";
  }

  private static String where(long pid) {
    return "pid " + pid + " on host " + host();
  }

  private List<String> sweep() {
    return WorkFolder.sweep(
        hadoop, new org.apache.hadoop.fs.Path(tmp.resolve("model").toUri()), now, progress::add);
  }

  private static String host() {
    return WorkFolder.localHost();
  }

  @Test
  void aFolderOfADeadPidOnThisHostIsRemovedAndALiveOnesIsLeftAndMentioned() throws Exception {
    long dead = deadPid();
    Path killed = plant(".work-20260101T000000Z-killed", host(), dead, null, now.minusSeconds(300));
    long me = ProcessHandle.current().pid();
    Path live = plant(".work-20260101T000000Z-live", host(), me, self(), now.minusSeconds(5));
    // The live run's heartbeat is old, but its process runs: still live.
    Path quiet = plant(".work-20260101T000000Z-quiet", host(), me, self(), now.minusSeconds(300));

    List<String> lines = sweep();

    assertThat(killed).as("the killed run's folder").doesNotExist();
    assertThat(live).as("the live run's folder").isDirectory();
    assertThat(quiet).as("a live run with an old heartbeat").isDirectory();
    assertThat(lines)
        .as("one line per folder")
        .containsExactlyInAnyOrder(notRunning(killed, dead), liveRun(live, me), liveRun(quiet, me));
    assertThat(progress).as("the lines are what the run logs").isEqualTo(lines);
  }

  @Test
  void aPidNowHeldByAnotherProcessIsNotTheOwner() throws Exception {
    long me = ProcessHandle.current().pid();
    String longAgo = Instant.parse("2020-01-01T00:00:00Z").toString();
    Path reused = plant(".work-x-reused", host(), me, longAgo, now.minusSeconds(300));

    assertThat(sweep()).singleElement().asString().startsWith("removed work folder");
    assertThat(reused).doesNotExist();
  }

  @Test
  void aLiveRunStaysLiveWhenTheClockIsSetBetweenTheTwoReadsOfItsStart() throws Exception {
    // Java's start instant is the boot time by the wall clock plus the ticks since boot: setting
    // the clock moves it. CI once saw another JVM read this JVM's start 2+ s away from what this
    // JVM had written, and the sweep removed a live run's folder. The ticks do not move.
    long me = ProcessHandle.current().pid();
    long ticks = ProcessStart.ticks(me).orElseThrow();
    String stepped = Instant.parse(self()).plusSeconds(3600).toString();
    Path live = plant(".work-x-stepped", host(), me, stepped, ticks, now.minusSeconds(300), false);
    Path reused =
        plant(".work-x-reused", host(), me, self(), ticks - 100, now.minusSeconds(300), false);

    List<String> lines = sweep();

    assertThat(live).as("same ticks, instant an hour off: the same process").isDirectory();
    assertThat(reused).as("same instant, other ticks: another process").doesNotExist();
    assertThat(lines).containsExactlyInAnyOrder(liveRun(live, me), notRunning(reused, me));
  }

  @Test
  void aDeadPidThatStillWritesHeartbeatsIsLeftAlone() throws Exception {
    // Same host name, pid not here, heartbeat fresh: a run in another container (host network).
    Path other = plant(".work-x-other", host(), deadPid(), null, now.minusSeconds(10));

    assertThat(sweep()).singleElement().asString().endsWith("another container?); left alone");
    assertThat(other).isDirectory();
  }

  @Test
  void anotherHostsFolderGoesOnlyWhenItsHeartbeatIsOlderThanTheTtl() throws Exception {
    Path fresh = plant(".work-x-fresh", "elsewhere", 1, null, now.minusSeconds(60));
    Path silent =
        plant(
            ".work-x-silent",
            "elsewhere",
            1,
            null,
            now.minus(WorkFolder.STALE_AFTER).minusSeconds(60));

    List<String> lines = sweep();

    assertThat(fresh).isDirectory();
    assertThat(silent).doesNotExist();
    assertThat(lines)
        .containsExactlyInAnyOrder(
            "work folder "
                + uri(fresh)
                + " belongs to a live run (pid 1 on host elsewhere); left"
                + " alone",
            "removed work folder "
                + uri(silent)
                + ": its run (pid 1 on host elsewhere) has not written a heartbeat for 11 min");
  }

  @Test
  void aKeptFolderStaysWhateverItsOwner() throws Exception {
    Path kept = plant(".work-x-kept", host(), deadPid(), null, now.minus(Duration.ofDays(2)), true);

    assertThat(sweep())
        .singleElement()
        .asString()
        .startsWith("work folder " + uri(kept) + " was kept by its run (--keep-work, pid ");
    assertThat(kept).isDirectory();
  }

  @Test
  void aFolderWithoutOwnerFileGoesOnceUnchangedForTheTtl() throws Exception {
    Path young = tmp.resolve("model/.work-x-young");
    Files.createDirectories(young.resolve("adversarial"));
    Files.writeString(young.resolve("adversarial/part-0"), "rows");
    Path old = tmp.resolve("model/.work-x-old");
    Files.createDirectories(old.resolve("adversarial"));
    Files.writeString(old.resolve("adversarial/part-0"), "rows");
    FileTime longAgo = FileTime.from(now.minus(Duration.ofMinutes(30)));
    try (Stream<Path> files = Files.walk(old)) {
      for (Path p : files.toList()) {
        Files.setLastModifiedTime(p, longAgo);
      }
    }
    Path published = Files.createDirectories(tmp.resolve("model/20260101T000000Z-v1"));

    List<String> lines = sweep();

    assertThat(young).isDirectory();
    assertThat(old).doesNotExist();
    assertThat(published).as("not a work folder").isDirectory();
    assertThat(lines)
        .containsExactlyInAnyOrder(
            "work folder "
                + uri(young)
                + " has no owner file and changed 0 s ago; left alone until it is unchanged for"
                + " 10 min",
            "removed work folder " + uri(old) + ": no owner file and unchanged for 30 min");
  }

  @Test
  void aClaimedFolderNamesThisProcessAndGoesOnClose() throws Exception {
    Path dir = tmp.resolve("model/.work-x-mine");
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(dir.toUri());
    try (WorkFolder folder = WorkFolder.claim(hadoop, path, "r1", false, progress::add)) {
      JsonNode owner = JobJson.mapper().readTree(dir.resolve(WorkFolder.OWNER).toFile());
      assertThat(owner.get("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
      assertThat(owner.get("host").asText()).isEqualTo(host());
      assertThat(owner.get("run_id").asText()).isEqualTo("r1");
      assertThat(owner.get("pid_started").asText()).isEqualTo(self());
      assertThat(owner.get("pid_start_ticks").asLong())
          .isEqualTo(ProcessStart.ticks(ProcessHandle.current().pid()).orElseThrow());
      assertThat(owner.get("keep").asBoolean()).isFalse();
      assertThat(Instant.parse(owner.get("heartbeat").asText())).isAfter(now.minusSeconds(5));
      assertThat(sweep()).singleElement().asString().contains("belongs to a live run");
      assertThat(dir).as("a live run's folder is not swept").isDirectory();
    }
    assertThat(dir).as("closed").doesNotExist();

    Path kept = tmp.resolve("model/.work-x-kept");
    WorkFolder.claim(hadoop, new org.apache.hadoop.fs.Path(kept.toUri()), "r2", true, s -> {})
        .close();
    assertThat(kept).as("--keep-work").isDirectory();
    JsonNode owner = JobJson.mapper().readTree(kept.resolve(WorkFolder.OWNER).toFile());
    assertThat(owner.get("keep").asBoolean()).isTrue();
  }

  /** A folder as Hadoop's local file system names it in a line. */
  private static String uri(Path dir) {
    return "file:" + dir.toAbsolutePath();
  }
}
