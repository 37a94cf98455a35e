package dev.lethe.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lethe.job.ledger.DeltaSparkTestBase;
import dev.lethe.job.ledger.Ledger;
import dev.lethe.job.ledger.SweepLock;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: a run stopped by SIGTERM (a scheduler's timeout, {@code kill}; {@link Process#destroy}
 * sends it on Linux) in stage A, in its own JVM as spark-submit or deploy/bin/lethe would run it:
 * it exits with 143, its last line says {@code interrupted} (also in {@code --report}), and it
 * leaves no work folder and no local model copy; a sweep stopped so also releases its lease. Before
 * it started, the run removed the work folder of a run killed with {@code kill -9} (a dead pid) and
 * left the one of a live run (this JVM), saying so on standard error.
 */
class InterruptedRunsIT extends DeltaSparkTestBase {

  @TempDir Path tmp;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MODEL_DIR = "digits-cnn-bn";

  /** 60 training digits. */
  private static final List<String> FORGET =
      IntStream.range(0, 60).mapToObj(i -> "digits/" + i).toList();

  /**
   * A stage A that is still running when stopped, in short tasks (one digit each). A cancelled task
   * ends at its next PGD step (StageACancellationTest); the sweep's lease is released once a slot
   * is free.
   */
  private static final List<String> SLOW_STAGE_A =
      List.of("--partitions", "60", "--set", "pgd.steps=60", "--set", "pgd.per-instance=8");

  /**
   * {@code lethe unlearn} of {@code ids} of the digits CNN into {@code out}, as run {@code runId}.
   */
  private static List<String> unlearnArgs(Path out, List<String> ids, String runId) {
    return new ArrayList<>(
        List.of(
            "unlearn",
            "--model",
            JobFixtures.cnn().toString(),
            "--forget",
            JobFixtures.trainImages().toString(),
            "--forget-ids",
            String.join(",", ids),
            "--out",
            out.toString(),
            "--run-id",
            runId));
  }

  @Test
  void anUnlearnRunStoppedInStageAPrintsInterruptedAndLeavesNothing() throws Exception {
    Path out = tmp.resolve("out");
    Path modelDir = out.resolve(MODEL_DIR);
    long dead = deadPid();
    Path killed = plantWorkFolder(modelDir, ".work-20260101T000000Z-killed", dead);
    long me = ProcessHandle.current().pid();
    Path live = plantWorkFolder(modelDir, ".work-20260101T000000Z-live", me);
    Path report = tmp.resolve("reports/run.json");
    List<String> args = unlearnArgs(out, FORGET, "stopped-1");
    args.addAll(List.of("--report", report.toString()));
    args.addAll(SLOW_STAGE_A);

    // -D{Interruption.BUDGET_PROPERTY}: room for the cancelled stage A tasks to end on a busy
    // test machine. On one, twice, something still writing re-made the work folder after the first
    // hook had removed it (with 10 s and with 20 s); the second hook (Interruption.finalSweep),
    // after Spark's, removes it again.
    Child child = Child.start(tmp, List.of("-Dlethe.stop.budget.seconds=20"), args);
    child.stopInStageA(modelDir, "-stopped-1");

    assertThat(child.exitCode).as("exit code of SIGTERM; stderr:\n%s", child.stderr).isEqualTo(143);
    JsonNode line = child.lastLine();
    assertThat(line.get("status").asText()).as("status").isEqualTo("interrupted");
    assertThat(line.get("command").asText()).isEqualTo("unlearn");
    assertThat(line.get("error").asText())
        .isEqualTo(
            "Cannot finish lethe unlearn: interrupted by a signal (SIGTERM or SIGINT) in stage"
                + " adversarial; the files it was writing (work folder, local model copies) were"
                + " removed, nothing more was published; run the same command again");
    assertThat(line.get("stage").asText()).as("stage").isEqualTo("adversarial");
    assertThat(line.get("run_id").asText()).isEqualTo("stopped-1");
    assertThat(line.get("model_sha256").asText()).hasSize(64);
    assertThat(line.get("k").asInt()).isEqualTo(FORGET.size());
    assertThat(child.stdout.lines().filter(l -> l.startsWith("{")).count())
        .as("one JSON line:\n%s", child.stdout)
        .isOne();
    assertThat(JSON.readTree(Files.readString(report))).as("--report").isEqualTo(line);
    assertThat(child.stderr)
        .as("the message on stderr")
        .contains(line.get("error").asText())
        .doesNotContain("Unexpected");

    assertThat(workFolders(modelDir))
        .as(
            "work folders left (the run's own is gone, the live run's stays); stderr:%n%s",
            child.stderr)
        .containsExactly(live.getFileName().toString());
    assertThat(killed).as("the killed run's folder").doesNotExist();
    assertThat(modelDir.resolve("current.json")).as("nothing published").doesNotExist();
    assertThat(child.tmpFiles())
        .as("the child's java.io.tmpdir")
        .noneMatch(n -> n.startsWith("lethe-"));
    assertThat(child.stderr)
        .as("what the run said about the other folders")
        .contains(
            "removed work folder file:"
                + killed
                + ": its run (pid "
                + dead
                + " on host "
                + hostName()
                + ") is not running")
        .contains(
            "work folder file:"
                + live
                + " belongs to a live run (pid "
                + me
                + " on host "
                + hostName()
                + "); left alone");
  }

  /**
   * Stopped in the fine-tune, the driver's thread is inside libtorch most of the time. The hook
   * used to wait its whole budget for the run to return, then let the JVM exit with the thread
   * still in libtorch, which now and then crashed in libtorch's static destructors (SIGSEGV in
   * {@code at::accelerator::getAccelerator} under {@code torchBackward}, exit 134, an hs_err file:
   * once in four stopped demo runs). The fine-tune now stops between two steps when the JVM is
   * stopping, so the run returns and the hook goes on at once: with a budget of 60 s the run exits
   * well before it, which it did not before.
   */
  @Test
  void anUnlearnRunStoppedInTheFineTuneExitsCleanly() throws Exception {
    Path out = tmp.resolve("out");
    Path modelDir = out.resolve(MODEL_DIR);
    Path crashLogs = Files.createDirectories(tmp.resolve("crash-logs"));
    List<String> args = unlearnArgs(out, FORGET.subList(0, 8), "stopped-ft");
    args.addAll(
        List.of(
            "--set",
            "pgd.steps=5",
            // Nothing is forgotten at this learning rate, and nothing escalates: the fine-tune
            // runs until it is stopped.
            "--set",
            "learning-rate=1e-12",
            "--set",
            "escalate=0",
            "--set",
            "max-epochs=1000000"));
    Child child =
        Child.start(
            tmp,
            List.of(
                "-Dlethe.stop.budget.seconds=60",
                "-XX:ErrorFile=" + crashLogs.resolve("hs_err_pid%p.log")),
            args);
    long exitSeconds = child.stopAfter("unlearn: step 20 ");

    assertThat(exitSeconds)
        .as(
            "seconds from SIGTERM to exit, with a stop budget of 60 s: the run returned rather than"
                + " the hook waiting it out; stderr:%n%s",
            child.stderr)
        .isLessThan(40);

    assertThat(crashLogs.toFile().list()).as("JVM crash logs; stderr:%n%s", child.stderr).isEmpty();
    assertThat(child.exitCode).as("exit code of SIGTERM; stderr:\n%s", child.stderr).isEqualTo(143);
    JsonNode line = child.lastLine();
    assertThat(line.get("status").asText()).as("status").isEqualTo("interrupted");
    assertThat(line.get("stage").asText()).as("stage").isEqualTo("finetune");
    assertThat(workFolders(modelDir)).as("work folders left; stderr:%n%s", child.stderr).isEmpty();
    assertThat(modelDir.resolve("current.json")).as("nothing published").doesNotExist();
  }

  @Test
  void aSweepStoppedInStageAPrintsInterruptedAndReleasesItsLease() throws Exception {
    Path requests = Files.createDirectories(tmp.resolve("requests"));
    Files.writeString(
        requests.resolve("a.jsonl"),
        "{\"request_id\": \"r-001\", \"sample_ids\": ["
            + FORGET.stream().map(id -> "\"" + id + "\"").collect(Collectors.joining(", "))
            + "]}\n");
    Path ledger = tmp.resolve("ledger");
    Path out = tmp.resolve("out");
    Path modelDir = out.resolve(MODEL_DIR);
    List<String> args =
        new ArrayList<>(
            List.of(
                "sweep",
                "--goal",
                "misclassify",
                "--requests",
                requests.toString(),
                "--ledger",
                ledger.toString(),
                "--dataset",
                JobFixtures.trainImages().toString(),
                "--model",
                JobFixtures.cnn().toString(),
                "--out",
                out.toString(),
                "--max-per-run",
                "100"));
    args.addAll(SLOW_STAGE_A);

    // -D{Interruption.BUDGET_PROPERTY}: the lease is released once the cancelled tasks have ended
    // and Delta has committed: more
    // than the default 10 s on a busy test machine.
    Child child = Child.start(tmp, List.of("-Dlethe.stop.budget.seconds=20"), args);
    child.stopInStageA(modelDir, "");

    assertThat(child.exitCode).as("exit code of SIGTERM; stderr:\n%s", child.stderr).isEqualTo(143);
    JsonNode line = child.lastLine();
    assertThat(line.get("status").asText()).isEqualTo("interrupted");
    assertThat(line.get("command").asText()).isEqualTo("sweep");
    assertThat(line.get("error").asText())
        .startsWith("Cannot finish lethe sweep: interrupted by a signal (SIGTERM or SIGINT)");
    assertThat(workFolders(modelDir)).as("work folders left").isEmpty();
    assertThat(child.tmpFiles())
        .as("the child's java.io.tmpdir")
        .noneMatch(n -> n.startsWith("lethe-"));
    Optional<SweepLock.Lease> lease = SweepLock.current(Ledger.open(spark, ledger.toString()));
    assertThat(lease).as("the lease row").isPresent();
    assertThat(lease.get().releasedAt()).as("released, not left to expire").isNotNull();
  }

  /** A JVM running {@code lethe} as deploy/bin/lethe would, with its own java.io.tmpdir. */
  private static final class Child {
    private final Process process;
    private final Path dir;
    private final Path tmpdir;
    private int exitCode;
    private String stdout;
    private String stderr;

    private Child(Process process, Path dir, Path tmpdir) {
      this.process = process;
      this.dir = dir;
      this.tmpdir = tmpdir;
    }

    static Child start(Path tmp, List<String> jvmOptions, List<String> args) throws IOException {
      Path dir = Files.createDirectories(tmp.resolve("child"));
      Path tmpdir = Files.createDirectories(dir.resolve("tmp"));
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
        // The test JVM's module openings and DJL settings, not its agents or heap.
        if (arg.startsWith("--add-")
            || arg.startsWith("--enable-native-access")
            || arg.startsWith("-Dai.djl")
            || arg.startsWith("-DDJL_")
            || arg.startsWith("-Dio.netty")) {
          command.add(arg);
        }
      }
      command.addAll(jvmOptions);
      command.addAll(
          List.of(
              "-Xmx1g",
              "-Djava.io.tmpdir=" + tmpdir,
              "-Dspark.master=local[2]",
              "-Dspark.ui.enabled=false",
              "-Dspark.driver.host=127.0.0.1",
              "-cp",
              classPath(),
              LetheMain.class.getName()));
      command.addAll(args);
      ProcessBuilder pb = new ProcessBuilder(command);
      pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
      pb.redirectOutput(dir.resolve("stdout").toFile());
      pb.redirectError(dir.resolve("stderr").toFile());
      return new Child(pb.start(), dir, tmpdir);
    }

    /** Waits for stage A's checkpoint folder, sends SIGTERM and waits for the exit. */
    void stopInStageA(Path modelDir, String runSuffix) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(6);
      while (stageAFolder(modelDir, runSuffix).isEmpty()) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          process.destroyForcibly().waitFor();
          read();
          throw new AssertionError(
              "the run did not reach stage A (exit " + exitCode + "); stderr:\n" + stderr);
        }
        Thread.sleep(200);
      }
      Thread.sleep(1000); // well inside stage A: its tasks are running
      signalAndWait(60);
    }

    /**
     * Waits until standard error contains {@code text}, sends SIGTERM and waits for the exit.
     *
     * @return the seconds from SIGTERM to the exit
     */
    long stopAfter(String text) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(6);
      while (!Files.readString(dir.resolve("stderr")).contains(text)) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          process.destroyForcibly().waitFor();
          read();
          throw new AssertionError(
              "the run never logged '" + text + "' (exit " + exitCode + "); stderr:\n" + stderr);
        }
        Thread.sleep(100);
      }
      // Longer than the 60 s stop budget its test gives, so that a run that waits the budget out
      // fails on the exit time, not here.
      return signalAndWait(90);
    }

    /**
     * Sends SIGTERM, waits up to {@code seconds} for the exit and reads the output.
     *
     * @return the seconds from SIGTERM to the exit
     */
    private long signalAndWait(int seconds) throws Exception {
      long signalled = System.nanoTime();
      process.destroy(); // SIGTERM
      if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
        read();
        throw new AssertionError(
            "the run did not exit within " + seconds + " s of SIGTERM; stderr:\n" + stderr);
      }
      long took = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - signalled);
      read();
      return took;
    }

    private void read() throws IOException {
      exitCode = process.exitValue();
      stdout = Files.readString(dir.resolve("stdout"));
      stderr = Files.readString(dir.resolve("stderr"));
    }

    JsonNode lastLine() throws IOException {
      List<String> lines = stdout.strip().lines().toList();
      assertThat(lines).as("stdout; stderr:\n%s", stderr).isNotEmpty();
      return JSON.readTree(lines.get(lines.size() - 1));
    }

    List<String> tmpFiles() throws IOException {
      try (Stream<Path> s = Files.list(tmpdir)) {
        return s.map(p -> p.getFileName().toString()).toList();
      }
    }
  }

  /** The stage A checkpoint folder of the run whose version ends with {@code runSuffix}. */
  private static Optional<Path> stageAFolder(Path modelDir, String runSuffix) throws IOException {
    if (!Files.isDirectory(modelDir)) {
      return Optional.empty();
    }
    try (Stream<Path> s = Files.list(modelDir)) {
      return s.filter(p -> p.getFileName().toString().startsWith(".work-"))
          .filter(p -> p.getFileName().toString().endsWith(runSuffix))
          .map(p -> p.resolve("adversarial"))
          .filter(Files::isDirectory)
          .findFirst();
    }
  }

  private static List<String> workFolders(Path modelDir) throws IOException {
    if (!Files.isDirectory(modelDir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(modelDir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".work-")).toList();
    }
  }

  /** The test classpath, for a JVM of its own. */
  private static String classPath() {
    String surefire = System.getProperty("surefire.test.class.path");
    return surefire != null && !surefire.isBlank()
        ? surefire
        : System.getProperty("java.class.path");
  }

  /** The pid of a process that has ended. */
  private static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    assertThat(p.waitFor()).isZero();
    return p.pid();
  }

  private static String hostName() throws IOException {
    return java.net.InetAddress.getLocalHost().getHostName();
  }

  /**
   * A work folder as a run leaves it when it is killed in stage A: a checkpoint part and the owner
   * file naming {@code pid} on this host, last heard from five minutes ago.
   */
  private static Path plantWorkFolder(Path modelDir, String name, long pid) throws IOException {
    Path dir = Files.createDirectories(modelDir.resolve(name).resolve("adversarial"));
    Files.writeString(dir.resolve("part-00000.parquet"), "rows");
    Instant heard = Instant.now().minusSeconds(300);
    boolean self = pid == ProcessHandle.current().pid();
    String started =
        self ? ProcessHandle.current().info().startInstant().orElseThrow().toString() : null;
    java.util.Map<String, Object> owner = new java.util.LinkedHashMap<>();
    owner.put("host", hostName());
    owner.put("pid", pid);
    owner.put("pid_started", started);
    // What the run itself writes: the ticks keep the child's judgement of this JVM independent
    // of the wall clock (a CI run once saw the instants alone disagree by more than 2 s).
    owner.put(
        "pid_start_ticks",
        self ? dev.lethe.job.unlearn.ProcessStart.ticks(pid).orElseThrow() : null);
    owner.put("run_id", name);
    owner.put("started", heard.minusSeconds(60).toString());
    owner.put("heartbeat", heard.toString());
    owner.put("keep", false);
    Files.writeString(dir.getParent().resolve("_owner.json"), JSON.writeValueAsString(owner));
    return dir.getParent();
  }
}
