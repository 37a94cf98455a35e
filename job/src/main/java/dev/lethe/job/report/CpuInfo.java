package dev.lethe.job.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The driver's CPU as far as it decides the numbers: its model and the widest vector instruction
 * set libtorch can use (AVX-512 or AVX2), plus any variable that caps libtorch's, oneDNN's or MKL's
 * choice. The fine-tune is sensitive to the order in which sums are rounded, and kernels for
 * different instruction sets round differently: the same run with the same seed takes a different
 * number of steps on an AVX-512 machine than on an AVX2 one (docs/BENCHMARKS.md). Recording it lets
 * a reader tell that difference from a change in the code.
 */
public final class CpuInfo {

  /** Variables that cap the instruction set of libtorch's kernels and of the libraries it uses. */
  static final List<String> ISA_VARIABLES =
      List.of(
          "ATEN_CPU_CAPABILITY",
          "ONEDNN_MAX_CPU_ISA",
          "DNNL_MAX_CPU_ISA",
          "MKL_ENABLE_INSTRUCTIONS");

  private CpuInfo() {}

  /**
   * e.g. {@code "AMD EPYC 9B14, avx512f"} or {@code "Intel(R) Xeon(R) ..., avx2,
   * ATEN_CPU_CAPABILITY=avx2"}; the JVM's architecture name where /proc/cpuinfo is not readable.
   */
  public static String describe() {
    return describe(readCpuinfo(), System.getenv(), System.getProperty("os.arch"));
  }

  static String describe(String cpuinfo, Map<String, String> env, String arch) {
    List<String> parts = new ArrayList<>();
    String model = null;
    String flags = "";
    for (String line : cpuinfo.split("\n")) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String key = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      if (model == null && key.equals("model name")) {
        model = value;
      } else if (flags.isEmpty() && key.equals("flags")) {
        flags = " " + value + " ";
      }
    }
    parts.add(model != null ? model : arch);
    if (flags.contains(" avx512f ")) {
      parts.add("avx512f");
    } else if (flags.contains(" avx2 ")) {
      parts.add("avx2");
    }
    for (String variable : ISA_VARIABLES) {
      String value = env.get(variable);
      if (value != null && !value.isBlank()) {
        parts.add(variable + "=" + value);
      }
    }
    return String.join(", ", parts);
  }

  private static String readCpuinfo() {
    try {
      return Files.readString(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }
}
