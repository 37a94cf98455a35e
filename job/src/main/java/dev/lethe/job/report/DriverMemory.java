package dev.lethe.job.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** The driver JVM's memory as the operating system sees it (native memory included). */
public final class DriverMemory {

  private DriverMemory() {}

  /** The peak resident set (VmHWM) in MiB; empty where /proc/self/status is not (not Linux). */
  public static OptionalLong peakRssMib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
          return OptionalLong.of(Math.round(kib / 1024.0));
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: no reading
    }
    return OptionalLong.empty();
  }
}
