package dev.lethe.job.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16's scripts, without running a benchmark: bench-protocol's plan and refusals, bench-gap's
 * join with the retrained model's line and its arithmetic, and bench-table's tables.
 */
class BenchProtocolScriptsTest {

  private static CliRun script(String name, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(JobFixtures.repo().resolve("deploy/bin/" + name).toString());
    command.addAll(List.of(args));
    return JobFixtures.process(command, Map.of(), Duration.ofMinutes(1));
  }

  @Test
  void protocolPlansEveryCombinationAndGoalUnseenOnlyWithAHeldOutSample() throws Exception {
    CliRun full = script("bench-protocol", "--dry-run");
    assertThat(full.exitCode()).as(full.stderr()).isZero();
    assertThat(full.stderr()).contains("480 runs in 32 benchmark processes");
    assertThat(full.stdout().lines())
        .hasSize(32)
        .contains(
            "demo k=16 seed=0 held-out=given goals=misclassify,unseen"
                + " methods=neggrad,adv,l2ul,salun,scrub presets=lethe,paper",
            "mnist k=256 seed=1 held-out=retain goals=misclassify"
                + " methods=neggrad,adv,l2ul,salun,scrub presets=lethe,paper");

    CliRun slice =
        script(
            "bench-protocol",
            "--dry-run",
            "--models",
            "mnist",
            "--k",
            "16,64",
            "--seeds",
            "1",
            "--held-out",
            "none",
            "--methods",
            "l2ul,scrub");
    assertThat(slice.exitCode()).as(slice.stderr()).isZero();
    assertThat(slice.stderr()).contains("8 runs in 2 benchmark processes");
    assertThat(slice.stdout().lines())
        .containsExactly(
            "mnist k=16 seed=1 held-out=none goals=misclassify methods=l2ul,scrub"
                + " presets=lethe,paper",
            "mnist k=64 seed=1 held-out=none goals=misclassify methods=l2ul,scrub"
                + " presets=lethe,paper");
  }

  @Test
  void protocolRefusesABadSelectionInOneLine() throws Exception {
    CliRun run = script("bench-protocol", "--dry-run", "--k", "16,x");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.stdout()).isEmpty();
    assertThat(run.stderr().strip())
        .isEqualTo(
            "bench-protocol: Cannot use --k 16,x: 'x' is not a positive integer; give e.g. --k"
                + " 16,64");
    CliRun model = script("bench-protocol", "--dry-run", "--models", "cifar");
    assertThat(model.stderr().strip())
        .isEqualTo(
            "bench-protocol: Cannot use --models cifar: 'cifar' is not demo or mnist; give e.g."
                + " --models demo,mnist");
  }

  @Test
  void gapIsEachRunMinusTheRetrainedModelOfItsModelKAndSeed(@TempDir Path dir) throws Exception {
    Path gold = writeGold(dir);
    Path runs = dir.resolve("runs.jsonl");
    Files.writeString(
        runs,
        run("l2ul", "unseen", true, 16, 0.0, 0.10, 0.90, 0.90) // an older line of the same run
            + run("l2ul", "unseen", true, 16, 0.7625, 0.8925, 0.53, 0.48)
            + run("l2ul", "misclassify", true, 16, 0.0, 0.88, 0.93, 1.0)
            + run("l2ul", "misclassify", false, 16, 0.0, 0.85, 0.80, 0.81)
            // a retain sample held instead of stand-ins: its own row, not a newer "none" line
            + run("l2ul", "misclassify", false, 16, 0.0, 0.86, 0.80, 0.81)
                .replace(
                    "\"held_out_given\":false", "\"held_out_given\":false,\"retain_given\":1000")
            + run("l2ul", "misclassify", true, 64, 0.0, 0.85, 0.80, 0.81));

    CliRun gap = script("bench-gap", "--gold", gold.toString(), runs.toString());
    assertThat(gap.exitCode()).as(gap.stderr()).isZero();
    List<String> rows = gap.stdout().lines().filter(l -> l.startsWith("| m |")).toList();
    assertThat(rows)
        .containsExactly(
            "| m | 16 | 0 | given | lethe | l2ul | misclassify |  | 10 | 88 % (-2) | 0 % (-75)"
                + " | 0.93 (+0.43) | 1 (+0.5) | no |",
            "| m | 16 | 0 | given | lethe | l2ul | unseen |  | 10 | 89.25 % (-0.75) | 76.25 %"
                + " (+1.25) | 0.53 (+0.03) | 0.48 (-0.02) | yes |",
            "| m | 16 | 0 | none * | lethe | l2ul | misclassify |  | 10 | 85 % (-5) | 0 % (-75)"
                + " | 0.8 (+0.3) | 0.81 (+0.31) | no |",
            "| m | 16 | 0 | retain * | lethe | l2ul | misclassify |  | 10 | 86 % (-4) | 0 % (-75)"
                + " | 0.8 (+0.3) | 0.81 (+0.31) | no |",
            "| m | 16 | 0 | given | original (m.pt) | 91 % | 81.25 % | 0.57 | 0.53 |",
            "| m | 16 | 0 | given | retrained (m.pt) | 90 % | 75 % | 0.5 | 0.5 |");
  }

  @Test
  void gapRefusesAMissingGoldFileInOneLine(@TempDir Path dir) throws Exception {
    CliRun gap = script("bench-gap", "--gold", dir.resolve("none.jsonl").toString());
    assertThat(gap.exitCode()).isEqualTo(2);
    assertThat(gap.stderr().strip())
        .isEqualTo(
            "bench-gap: Cannot read --gold "
                + dir.resolve("none.jsonl")
                + ": no such file; measure the retrained models with UnlearnBenchmark"
                + " --evaluate-only retrained (docs/BENCHMARKS.md)");
  }

  @Test
  void tableHasARowPerHeldOutSamplePresetGoalAndMethodAndEverySeedInItsCell(@TempDir Path dir)
      throws Exception {
    Path gold = writeGold(dir);
    Path runs = dir.resolve("protocol.jsonl");
    Files.writeString(
        runs,
        protocol("published", "given", 16, 0, "misclassify", 0.10, 0.5, "full") // replaced below
            + protocol("published", "given", 16, 0, "misclassify", 0.0, 0.8862, "full")
            + protocol("published", "given", 16, 1, "misclassify", 0.0, 0.8983, "full")
            + protocol("failed", "given", 64, 1, "misclassify", 0.5, 0.90, "full")
            + protocol("published", "given", 16, 0, "unseen", 0.8125, 0.9129, "full")
            + protocol("published", "retain", 256, 1, "misclassify", 0.0, 0.8186, "full")
            + protocol("published", "none", 16, 1, "misclassify", 0.0, 0.8718, "full")
            + protocol("published", "none", 64, 0, "misclassify", 0.0, 0.30, "smoke"));

    CliRun table = script("bench-table", "--gold", gold.toString(), runs.toString());
    assertThat(table.exitCode()).as(table.stderr()).isZero();
    assertThat(table.stdout().lines().filter(l -> l.startsWith("|") || l.startsWith("#")))
        .containsExactly(
            "### demo (m.pt): 6 runs, test accuracy 91.0 % before",
            "| held-out | preset | goal | method | k = 16 | k = 64 | k = 128 | k = 256 |",
            "|---|---|---|---|---|---|---|---|",
            "| given | lethe | misclassify | l2ul | 88.6 (0, 0.93) / 89.8 (0, 0.93) | - / failed"
                + " | - | - |",
            "| given | lethe | unseen | l2ul | 91.3 (81.3, 0.93) / - | - | - | - |",
            "| retain | lethe | misclassify | l2ul | - | - | - | - / 81.9 (0, 0.93) |",
            "| none | lethe | misclassify | l2ul | - / 87.2 (0, 0.93) | - | - | - |",
            "| before | | | | 91.0 (81.3, 0.57) / - | - | - | - |",
            "| retrained | | | | 90.0 (75, 0.5) / - | - | - | - |");

    CliRun seed =
        script(
            "bench-table", "--gold", gold.toString(), "--seeds", "1", "--k", "16", runs.toString());
    assertThat(seed.exitCode()).as(seed.stderr()).isZero();
    assertThat(seed.stdout().lines().filter(l -> l.startsWith("| ")))
        .containsExactly(
            "| held-out | preset | goal | method | k = 16 |",
            "| given | lethe | misclassify | l2ul | 89.8 (0, 0.93) |",
            "| none | lethe | misclassify | l2ul | 87.2 (0, 0.93) |");
    CliRun bad = script("bench-table", "--k", "16,x");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.stderr().strip())
        .isEqualTo(
            "bench-table: Cannot use --k 16,x: give positive integers separated by commas, e.g."
                + " --k 16,64");
  }

  @Test
  void protocolPageHoldsTheTablesOfTheRecordedRuns() throws Exception {
    CliRun table = script("bench-table");
    assertThat(table.exitCode()).as(table.stderr()).isZero();
    String page = Files.readString(JobFixtures.repo().resolve("docs/PROTOCOL.md"));
    String begin = "<!-- bench-table: begin -->\n";
    String end = "<!-- bench-table: end -->";
    assertThat(page).contains(begin, end);
    String recorded = page.substring(page.indexOf(begin) + begin.length(), page.indexOf(end));
    assertThat(recorded.strip())
        .as("docs/PROTOCOL.md's tables against deploy/bin/bench-table's; paste its output in")
        .isEqualTo(table.stdout().strip());
  }

  private static String protocol(
      String status,
      String held,
      int k,
      int seed,
      String goal,
      double forget,
      double test,
      String label) {
    return String.format(
        "{\"benchmark\":\"protocol\",\"model_name\":\"demo\",\"label\":\"%s\",\"sets\":[],"
            + "\"status\":\"%s\",\"method\":\"l2ul\",\"goal\":\"%s\",\"k\":%d,\"seed\":%d,"
            + "\"forget\":{\"accuracy_after\":%s},"
            + "\"test\":{\"accuracy_before\":0.91,\"accuracy_after\":%s},"
            + "\"mia\":{\"accuracy_after\":0.93},\"preset\":\"lethe\",\"model\":\"m.pt\","
            + "\"held_out_given\":%s%s}%n",
        label,
        status,
        goal,
        k,
        seed,
        forget,
        test,
        held.equals("given"),
        held.equals("retain") ? ",\"retain_given\":1000" : "");
  }

  /** Gold lines of model m.pt at k = 16, seed 0: the retrained model and the original. */
  private static Path writeGold(Path dir) throws IOException {
    Path gold = dir.resolve("gold.jsonl");
    Files.writeString(
        gold,
        line("retrained", "m.pt", 16, 0, true, 0.75, 0.90, 0.50, 0.50)
            + line("original", "m.pt", 16, 0, true, 0.8125, 0.91, 0.57, 0.53));
    return gold;
  }

  private static String line(
      String method,
      String model,
      int k,
      int seed,
      boolean held,
      double forget,
      double test,
      double mia,
      double auc) {
    return String.format(
        "{\"status\":\"evaluated\",\"method\":\"%s\",\"goal\":null,\"k\":%d,\"seed\":%d,"
            + "\"forget\":{\"accuracy\":%s,\"size\":%d},\"test\":{\"accuracy\":%s,\"size\":9000},"
            + "\"mia\":{\"accuracy\":%s,\"auc\":%s,\"members\":%d,\"folds\":5},"
            + "\"model\":\"%s\",\"model_file\":\"%s\",\"held_out_given\":%s}%n",
        method, k, seed, forget, k, test, mia, auc, k, model, model, held);
  }

  private static String run(
      String method,
      String goal,
      boolean held,
      int k,
      double forget,
      double test,
      double mia,
      double auc) {
    return String.format(
        "{\"status\":\"published\",\"method\":\"%s\",\"goal\":\"%s\",\"k\":%d,\"seed\":0,"
            + "\"forget\":{\"accuracy_before\":0.8125,\"accuracy_after\":%s,\"size\":%d},"
            + "\"test\":{\"accuracy_before\":0.91,\"accuracy_after\":%s,\"size\":9000},"
            + "\"mia\":{\"accuracy_before\":0.57,\"accuracy_after\":%s,\"auc_before\":0.53,"
            + "\"auc_after\":%s},\"steps\":10,\"preset\":\"lethe\",\"model\":\"m.pt\","
            + "\"overrides\":\"\",\"held_out_given\":%s}%n",
        method, goal, k, forget, k, test, mia, auc, held);
  }
}
