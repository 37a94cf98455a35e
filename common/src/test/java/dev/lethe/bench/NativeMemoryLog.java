package dev.lethe.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;

/**
 * The resident set of this process, sampled while a long native-memory benchmark runs: each sample
 * printed as a table row and appended as one JSON line to a file (docs/results/), with the run's
 * settings. The Java heap should be fixed and pre-touched ({@code -Xms = -Xmx}, {@code
 * -XX:+AlwaysPreTouch}) and direct memory capped ({@code -XX:MaxDirectMemorySize}), so that growth
 * of the resident set is libtorch's native memory.
 */
final class NativeMemoryLog {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String benchmark;
  private final String unit;
  private final Path out;
  private final Map<String, Object> settings;
  private final String run = Instant.now().toString();
  private final long start = System.nanoTime();
  private long first;
  private long max;
  private long last;
  private int samples;

  /**
   * @param benchmark the benchmark's name, in every JSON line
   * @param unit what {@link #sample} counts (e.g. "pgd_steps")
   * @param out the JSON lines file, appended to
   * @param settings the run's settings, copied into every JSON line
   */
  NativeMemoryLog(String benchmark, String unit, Path out, Map<String, Object> settings) {
    this.benchmark = benchmark;
    this.unit = unit;
    this.out = out;
    this.settings = settings;
    System.out.printf("%s %s%n", benchmark, settings);
    System.out.printf("%s\trss_mib\theap_committed_mib\theap_used_mib\tseconds%n", unit);
  }

  /** Samples the resident set after {@code count} units of work. */
  void sample(long count) {
    long rss = rssKib();
    Runtime rt = Runtime.getRuntime();
    long committed = rt.totalMemory();
    long used = committed - rt.freeMemory();
    double seconds = (System.nanoTime() - start) / 1e9;
    if (samples++ == 0) {
      first = rss;
    }
    max = Math.max(max, rss);
    last = rss;
    System.out.printf(
        "%d\t%d\t%d\t%d\t%.1f%n", count, rss >> 10, committed >> 20, used >> 20, seconds);
    ObjectNode line = JSON.createObjectNode();
    line.put("benchmark", benchmark);
    line.put("run", run);
    settings.forEach((k, v) -> line.putPOJO(k, v));
    line.put("jvm_memory_flags", memoryFlags());
    line.put("unit", unit);
    line.put("count", count);
    line.put("rss_kib", rss);
    line.put("heap_committed_mib", committed >> 20);
    line.put("heap_used_mib", used >> 20);
    line.put("seconds", Math.round(seconds * 10) / 10.0);
    try {
      Files.createDirectories(out.toAbsolutePath().getParent());
      Files.writeString(
          out,
          JSON.writeValueAsString(line) + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot append a sample to " + out, e);
    }
  }

  /** Prints the first, highest and last sample and the growth from the first to the highest. */
  void summary(long count) {
    System.out.printf(
        "rss after %d %s: first sample %d MiB, max %d MiB, last %d MiB, growth %d MiB (%.1f s)%n",
        count,
        unit,
        first >> 10,
        max >> 10,
        last >> 10,
        (max - first) >> 10,
        (System.nanoTime() - start) / 1e9);
  }

  /** This JVM's -X and -XX options (heap size, direct memory cap), space-separated. */
  static String memoryFlags() {
    return String.join(
        " ",
        java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
            .filter(a -> a.startsWith("-X"))
            .toList());
  }

  /** VmRSS of /proc/self/status, in KiB. */
  static long rssKib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read /proc/self/status", e);
    }
    throw new IllegalStateException("Cannot read the resident set: /proc/self/status has no VmRSS");
  }
}
