package dev.lethe.job.unlearn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * When a process started, in clock ticks since boot: the measure a work folder's owner check
 * ({@link WorkFolder}) compares, because it does not move when the wall clock is set, unlike {@code
 * ProcessHandle.Info.startInstant()}.
 */
public final class ProcessStart {

  private ProcessStart() {}

  /**
   * The start of process {@code pid} in clock ticks since boot, field 22 of {@code
   * /proc/<pid>/stat}; empty where there is no such file (not Linux, or the pid has ended).
   */
  public static OptionalLong ticks(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // Field 2, the command name, is in brackets and may hold spaces: count from after it.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
      return OptionalLong.of(Long.parseLong(fields[22 - 3]));
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }
}
