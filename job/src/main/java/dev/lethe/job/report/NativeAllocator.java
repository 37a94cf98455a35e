package dev.lethe.job.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Whether glibc's allocator keeps libtorch's buffers. oneDNN's convolutions allocate buffers of
 * several MiB a few times per step; with glibc's defaults each is returned to the kernel when freed
 * and page-faulted in again on the next step, which makes PGD and the fine-tune about twice as slow
 * (docs/BENCHMARKS.md, "Lethe against PyTorch"); every JVM thread allocates from a per-thread arena
 * whose 64 MiB heaps glibc unmaps once free unless a top pad keeps them. deploy/bin/lethe,
 * lethe-submit, the defaults file (executors) and the image set the three variables; a driver
 * started another way is told once.
 */
public final class NativeAllocator {

  /** The variables and the values Lethe's launchers give them, in the order advice names them. */
  static final Map<String, String> SETTINGS = settings();

  private static Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("MALLOC_MMAP_THRESHOLD_", "33554432");
    s.put("MALLOC_TRIM_THRESHOLD_", "1073741824");
    s.put("MALLOC_TOP_PAD_", "67108864");
    return Collections.unmodifiableMap(s);
  }

  private NativeAllocator() {}

  /** The line to log when this JVM was started without the settings, else empty. */
  public static Optional<String> advice() {
    return advice(System.getenv());
  }

  static Optional<String> advice(Map<String, String> env) {
    List<String> missing = new ArrayList<>();
    SETTINGS.forEach(
        (key, value) -> {
          if (env.get(key) == null || env.get(key).isBlank()) {
            missing.add(key + "=" + value);
          }
        });
    if (missing.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        "this JVM runs libtorch with glibc's default allocator settings, so PGD and the fine-tune"
            + " run about twice as slow; start it with "
            + String.join(" ", missing)
            + " in its environment (deploy/bin/lethe and lethe-submit do; executors get them from"
            + " spark.executorEnv.* in conf/lethe-defaults.conf)");
  }
}
