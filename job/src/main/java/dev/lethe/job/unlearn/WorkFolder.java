package dev.lethe.job.unlearn;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.lethe.job.report.JobJson;
import dev.lethe.job.shutdown.Interruption;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's work folder ({@code <out>/<model>/.work-<version>} unless {@code --work}; stage A's
 * checkpoint) and who owns it: {@value #OWNER} in it names the run's host, pid (and the pid's start
 * time), run id, start, a heartbeat rewritten every {@link #HEARTBEAT} and {@code keep} ({@code
 * --keep-work}). Closing it removes the folder (unless kept); a JVM stopped by a signal removes it
 * too ({@link Interruption}). A folder left by a run killed with {@code kill -9} is removed by the
 * next run of the same model ({@link #sweep}).
 */
final class WorkFolder implements AutoCloseable {

  /** The owner file's name in a work folder. */
  static final String OWNER = "_owner.json";

  /** How often a run rewrites its owner file's heartbeat. */
  static final Duration HEARTBEAT = Duration.ofSeconds(30);

  /** A folder whose owner has not written a heartbeat for this long is a dead run's. */
  static final Duration STALE_AFTER = Duration.ofMinutes(10);

  /**
   * A folder of this host whose pid is not running is a dead run's once its heartbeat is this old:
   * a run in another container with the same host name (and its own pids) still writes one.
   */
  static final Duration GRACE = HEARTBEAT.multipliedBy(3);

  private static final Logger LOG = LoggerFactory.getLogger(WorkFolder.class);
  private static final ObjectReader OWNER_READER =
      JobJson.mapper()
          .readerFor(Owner.class)
          .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * What {@value #OWNER} says. {@code pidStartTicks} is the pid's start in clock ticks since boot
   * ({@code /proc/<pid>/stat}, null where there is none): unlike {@code pidStarted}, which Java
   * derives from the wall clock's idea of the boot time, it does not move when the clock is set.
   */
  record Owner(
      String host,
      long pid,
      String pidStarted,
      Long pidStartTicks,
      String runId,
      String started,
      String heartbeat,
      boolean keep) {

    /** This JVM as the owner of run {@code runId}, started and heard from at {@code now}. */
    static Owner thisProcess(String runId, Instant now, boolean keep) {
      ProcessHandle self = ProcessHandle.current();
      return new Owner(
          localHost(),
          self.pid(),
          self.info().startInstant().map(Instant::toString).orElse(null),
          boxed(ProcessStart.ticks(self.pid())),
          runId,
          now.toString(),
          now.toString(),
          keep);
    }

    Owner heardAt(Instant now) {
      return new Owner(host, pid, pidStarted, pidStartTicks, runId, started, now.toString(), keep);
    }

    /** "pid N on host H". */
    String where() {
      return "pid " + pid + " on host " + host;
    }
  }

  private final FileSystem fs;
  private final Path dir;
  private final boolean keep;
  private final Consumer<String> progress;
  private final ScheduledExecutorService heartbeat;
  private final Interruption.Cleanup onStop;
  private volatile Owner owner;
  private volatile boolean warned;

  private WorkFolder(
      FileSystem fs, Path dir, Owner owner, boolean keep, Consumer<String> progress) {
    this.fs = fs;
    this.dir = dir;
    this.owner = owner;
    this.keep = keep;
    this.progress = progress;
    this.heartbeat =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "lethe-work-folder-heartbeat");
              t.setDaemon(true);
              return t;
            });
    this.onStop =
        Interruption.onStop("work folder " + dir, keep ? this::stopHeartbeat : this::delete);
  }

  /**
   * Creates {@code dir} with its owner file and keeps the heartbeat going until {@link #close}.
   *
   * @throws UncheckedIOException naming the folder when the owner file cannot be written
   */
  static WorkFolder claim(
      Configuration hadoop, Path dir, String runId, boolean keep, Consumer<String> progress) {
    FileSystem fs;
    try {
      fs = dir.getFileSystem(hadoop);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot use work folder " + dir + ": " + e + "; check --out (or --work)", e);
    }
    WorkFolder folder =
        new WorkFolder(fs, dir, Owner.thisProcess(runId, Instant.now(), keep), keep, progress);
    try {
      folder.writeOwner();
    } catch (IOException e) {
      folder.close();
      throw new UncheckedIOException(
          "Cannot write "
              + new Path(dir, OWNER)
              + ": "
              + e
              + "; check that --out (or --work) is writable",
          e);
    }
    long period = HEARTBEAT.toMillis();
    folder.heartbeat.scheduleAtFixedRate(folder::beat, period, period, TimeUnit.MILLISECONDS);
    return folder;
  }

  /** Stops the heartbeat and removes the folder, unless it is kept. */
  @Override
  public void close() {
    if (keep) {
      stopHeartbeat();
      progress.accept("work folder kept: " + dir);
    } else {
      delete();
    }
    onStop.close();
  }

  private void stopHeartbeat() {
    heartbeat.shutdownNow();
    try {
      heartbeat.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the heartbeat first: a beat after the delete would make the folder again. */
  private void delete() {
    stopHeartbeat();
    try {
      fs.delete(dir, true);
    } catch (IOException | RuntimeException e) {
      LOG.warn("Cannot remove work folder {}: {}", dir, e.toString());
    }
  }

  private void beat() {
    owner = owner.heardAt(Instant.now());
    try {
      writeOwner();
    } catch (IOException | RuntimeException e) {
      if (!warned) {
        warned = true;
        LOG.warn("Cannot update {} (heartbeat): {}", new Path(dir, OWNER), e.toString());
      }
    }
  }

  private void writeOwner() throws IOException {
    try (OutputStream out = fs.create(new Path(dir, OWNER), true)) {
      out.write(JobJson.indented(owner));
    }
  }

  /**
   * Removes the work folders under {@code modelDir} ({@code .work-*}) whose runs are provably gone,
   * and leaves the others; says what it did with each in one line (also given to {@code progress}).
   * A folder is removed when its owner file says it is not kept and
   *
   * <ul>
   *   <li>its host is this host, its pid is not running (or is another process now) and its
   *       heartbeat is older than {@link #GRACE}; or
   *   <li>its heartbeat is older than {@link #STALE_AFTER} (any host);
   * </ul>
   *
   * or when it has no readable owner file (a run of an older Lethe, or one killed as it began) and
   * nothing in it changed for {@link #STALE_AFTER}.
   *
   * @return one line per folder found
   */
  static List<String> sweep(
      Configuration hadoop, Path modelDir, Instant now, Consumer<String> progress) {
    List<String> lines = new ArrayList<>();
    FileStatus[] found;
    FileSystem fs;
    try {
      fs = modelDir.getFileSystem(hadoop);
      found = fs.listStatus(modelDir, p -> p.getName().startsWith(".work-"));
    } catch (FileNotFoundException e) {
      return lines;
    } catch (IOException | RuntimeException e) {
      LOG.warn("Cannot list the work folders in {}: {}", modelDir, e.toString());
      return lines;
    }
    for (FileStatus status : found) {
      if (!status.isDirectory()) {
        continue;
      }
      Path dir = status.getPath();
      String line;
      try {
        line = judge(fs, dir, now);
      } catch (IOException | RuntimeException e) {
        line = "cannot check work folder " + dir + " (" + e + "); left alone";
      }
      lines.add(line);
      progress.accept(line);
    }
    return lines;
  }

  /** Removes {@code dir} when its run is gone; says what it did. */
  private static String judge(FileSystem fs, Path dir, Instant now) throws IOException {
    Optional<Owner> read = readOwner(fs, dir);
    if (read.isEmpty()) {
      Duration unchanged = Duration.between(Instant.ofEpochMilli(newestChange(fs, dir)), now);
      if (unchanged.compareTo(STALE_AFTER) <= 0) {
        return "work folder "
            + dir
            + " has no owner file and changed "
            + Math.max(0, unchanged.toSeconds())
            + " s ago; left alone until it is unchanged for "
            + STALE_AFTER.toMinutes()
            + " min";
      }
      return remove(fs, dir, "no owner file and unchanged for " + unchanged.toMinutes() + " min");
    }
    Owner owner = read.get();
    if (owner.keep()) {
      return "work folder "
          + dir
          + " was kept by its run (--keep-work, "
          + owner.where()
          + "); left alone, remove it when done";
    }
    Duration silent = Duration.between(instant(owner.heartbeat()).orElse(Instant.EPOCH), now);
    if (silent.compareTo(STALE_AFTER) > 0) {
      return remove(
          fs,
          dir,
          "its run ("
              + owner.where()
              + ") has not written a heartbeat for "
              + silent.toMinutes()
              + " min");
    }
    if (owner.host() != null && owner.host().equals(localHost()) && !running(owner)) {
      if (silent.compareTo(GRACE) > 0) {
        return remove(fs, dir, "its run (" + owner.where() + ") is not running");
      }
      return "work folder "
          + dir
          + " belongs to a run that wrote a heartbeat "
          + Math.max(0, silent.toSeconds())
          + " s ago ("
          + owner.where()
          + ", not running here: another container?); left alone";
    }
    return "work folder " + dir + " belongs to a live run (" + owner.where() + "); left alone";
  }

  private static String remove(FileSystem fs, Path dir, String why) {
    try {
      if (fs.delete(dir, true) || !fs.exists(dir)) {
        return "removed work folder " + dir + ": " + why;
      }
    } catch (IOException | RuntimeException e) {
      return "cannot remove work folder " + dir + " (" + why + "): " + e + "; remove it by hand";
    }
    return "cannot remove work folder " + dir + " (" + why + "); remove it by hand";
  }

  /**
   * Whether the owner's pid runs here and is the same process (started when it says): by its start
   * in clock ticks since boot where both sides have one, else by its start instant within 2 s. The
   * instant alone misjudged a live run as dead in CI (two JVMs read the same process's start more
   * than 2 s apart): Java's start instant is the boot time by the wall clock plus the ticks, and
   * setting the clock moves it.
   */
  private static boolean running(Owner owner) {
    Optional<ProcessHandle> process = ProcessHandle.of(owner.pid()).filter(ProcessHandle::isAlive);
    if (process.isEmpty()) {
      return false;
    }
    OptionalLong ticks =
        owner.pidStartTicks() == null ? OptionalLong.empty() : ProcessStart.ticks(owner.pid());
    if (ticks.isPresent()) {
      return ticks.getAsLong() == owner.pidStartTicks();
    }
    Optional<Instant> recorded = instant(owner.pidStarted());
    Optional<Instant> actual = process.get().info().startInstant();
    if (recorded.isEmpty() || actual.isEmpty()) {
      return true;
    }
    // Same pid, started at another time: a later process got the number.
    return Duration.between(recorded.get(), actual.get()).abs().compareTo(Duration.ofSeconds(2))
        <= 0;
  }

  private static Long boxed(OptionalLong v) {
    return v.isPresent() ? v.getAsLong() : null;
  }

  private static Optional<Owner> readOwner(FileSystem fs, Path dir) {
    try (InputStream in = fs.open(new Path(dir, OWNER))) {
      return Optional.of(OWNER_READER.readValue(in.readAllBytes()));
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // missing, half written or not ours: judged by its age
    }
  }

  /** The newest modification time in {@code dir}, the folder's own included. */
  private static long newestChange(FileSystem fs, Path dir) throws IOException {
    long newest = fs.getFileStatus(dir).getModificationTime();
    RemoteIterator<LocatedFileStatus> files = fs.listFiles(dir, true);
    while (files.hasNext()) {
      newest = Math.max(newest, files.next().getModificationTime());
    }
    return newest;
  }

  private static Optional<Instant> instant(String text) {
    try {
      return Optional.ofNullable(text).map(Instant::parse);
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  private static volatile String localHost;

  /** This machine's host name, as the owner files name it. */
  static String localHost() {
    String host = localHost;
    if (host == null) {
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (UnknownHostException e) {
        host = "unknown host";
      }
      localHost = host;
    }
    return host;
  }
}
