package dev.lethe.job.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.job.JobFixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * glibc's allocator settings that keep libtorch's buffers in the heap (about twice the PGD and
 * fine-tune speed, docs/BENCHMARKS.md) reach every JVM that runs libtorch: the launchers' driver
 * (deploy/bin/lib/launcher.sh), cluster executors (conf/lethe-defaults.conf), the image
 * (deploy/k8s/Dockerfile) and the test JVMs (pom.xml), all with the same values; a value the user
 * set is kept.
 */
class NativeAllocatorSettingsTest {

  private static final List<String> KEYS =
      List.of("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_");

  private static Path repo() {
    return JobFixtures.repo();
  }

  /** What lethe_native_allocator exports, run in bash with the given environment additions. */
  private static Map<String, String> launcherExports(Map<String, String> env)
      throws IOException, InterruptedException {
    String script =
        "repo=\"$1\"; launcher=test; source \"$repo/deploy/bin/lib/launcher.sh\";"
            + " lethe_native_allocator; env";
    ProcessBuilder pb =
        new ProcessBuilder("bash", "-c", script, "bash", repo().toString())
            .redirectErrorStream(true);
    KEYS.forEach(pb.environment()::remove);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    Map<String, String> found = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      for (String key : KEYS) {
        if (line.startsWith(key + "=")) {
          found.put(key, line.substring(key.length() + 1));
        }
      }
    }
    return found;
  }

  private static Map<String, String> matches(Path file, String pattern) throws IOException {
    Map<String, String> found = new LinkedHashMap<>();
    Matcher m = Pattern.compile(pattern).matcher(Files.readString(file));
    while (m.find()) {
      found.put(m.group(1), m.group(2));
    }
    return found;
  }

  @Test
  void everyPlaceThatStartsLibtorchGetsTheSameSettings() throws Exception {
    Map<String, String> launcher = launcherExports(Map.of());
    assertThat(launcher).containsOnlyKeys(KEYS);
    assertThat(Long.parseLong(launcher.get("MALLOC_MMAP_THRESHOLD_"))).isEqualTo(32L << 20);
    assertThat(Long.parseLong(launcher.get("MALLOC_TRIM_THRESHOLD_"))).isGreaterThan(32L << 20);
    // At least glibc's per-thread heap size on 64-bit (64 MiB), so that no free heap is unmapped.
    assertThat(Long.parseLong(launcher.get("MALLOC_TOP_PAD_"))).isGreaterThanOrEqualTo(64L << 20);

    assertThat(
            matches(
                repo().resolve("conf/lethe-defaults.conf"),
                "(?m)^spark\\.executorEnv\\.(MALLOC_\\w+)\\s+(\\S+)$"))
        .as("conf/lethe-defaults.conf spark.executorEnv.*")
        .isEqualTo(launcher);
    assertThat(matches(repo().resolve("deploy/k8s/Dockerfile"), "(MALLOC_\\w+_)=(\\d+)"))
        .as("deploy/k8s/Dockerfile ENV")
        .isEqualTo(launcher);
    Map<String, String> pom =
        matches(repo().resolve("pom.xml"), "<(MALLOC_\\w+_)>(\\d+)</MALLOC_\\w+_>");
    assertThat(pom).as("pom.xml surefire/failsafe environmentVariables").isEqualTo(launcher);
    assertThat(System.getenv())
        .as("this test JVM's environment (pom.xml)")
        .containsAllEntriesOf(launcher);
  }

  @Test
  void aValueTheUserSetIsKept() throws Exception {
    Map<String, String> exported = launcherExports(Map.of("MALLOC_TRIM_THRESHOLD_", "131072"));
    assertThat(exported).containsEntry("MALLOC_TRIM_THRESHOLD_", "131072");
    assertThat(exported).containsEntry("MALLOC_MMAP_THRESHOLD_", String.valueOf(32L << 20));
  }

  @Test
  void theLaunchersApplyThemBeforeStartingJava() throws IOException {
    for (String launcher : List.of("lethe", "lethe-submit", "bench-stage-a", "bench-pytorch")) {
      List<String> lines = Files.readAllLines(repo().resolve("deploy/bin").resolve(launcher));
      int applied = firstCommand(lines, "lethe_native_allocator(\\s.*)?");
      int java =
          firstCommand(
              lines, "(exec |jvm=\\()?(\\w+=\\S+ )?(java|\"\\$SPARK_HOME/bin/spark-submit\") .*");
      assertThat(applied)
          .as("deploy/bin/%s calls lethe_native_allocator", launcher)
          .isLessThan(lines.size());
      assertThat(applied)
          .as("deploy/bin/%s sets them before java starts", launcher)
          .isLessThan(java);
    }
  }

  /** The index of the first line that, stripped, matches {@code regex}, else the size. */
  private static int firstCommand(List<String> lines, String regex) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).strip().matches(regex)) {
        return i;
      }
    }
    return lines.size();
  }
}
