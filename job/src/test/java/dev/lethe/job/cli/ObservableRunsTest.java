package dev.lethe.job.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import dev.lethe.job.JsonShape;
import dev.lethe.job.ledger.DeltaSparkTestBase;
import dev.lethe.job.ledger.Ledger;
import dev.lethe.job.ledger.Outcome;
import dev.lethe.job.ledger.SweepLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, observable runs, on the digits fixtures: {@code --report} writes the summary line's
 * JSON for every outcome, and {@code --dry-run} of unlearn and sweep checks the inputs, prints the
 * plan and touches nothing (no --out folder, no ledger, no lock).
 */
class ObservableRunsTest extends DeltaSparkTestBase {

  @TempDir Path tmp;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String IDS = "digits/0,digits/37,digits/74,digits/111";

  private static CliRun unlearn(Path out, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "unlearn",
                "--model",
                JobFixtures.cnn().toString(),
                "--forget",
                JobFixtures.trainImages().toString(),
                "--test",
                JobFixtures.testImages().toString(),
                "--out",
                out.toString()));
    args.addAll(JobFixtures.QUICK_UNLEARN);
    args.addAll(List.of(extra));
    return JobFixtures.cli(args.toArray(String[]::new));
  }

  private static JsonNode read(Path report) throws Exception {
    assertThat(report).as("report file").isRegularFile();
    return JSON.readTree(Files.readString(report));
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static List<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void anUnlearnDryRunPrintsThePlanWritesTheSameReportAndTouchesNothing() throws Exception {
    Path out = tmp.resolve("out");
    Path report = tmp.resolve("reports/dry-run.json");
    CliRun run =
        unlearn(
            out,
            "--forget-ids",
            IDS,
            "--held-out-from-test",
            "50",
            "--run-id",
            "plan-1",
            "--dry-run",
            "--report",
            report.toString());
    assertThat(run.exitCode()).as("stderr:\n%s", run.stderr()).isZero();
    JsonNode plan = run.summary();
    assertThat(plan.get("status").asText()).isEqualTo("ok");
    assertThat(plan.get("command").asText()).isEqualTo("unlearn");
    assertThat(plan.get("dry_run").asBoolean()).isTrue();
    assertThat(plan.get("model").get("uri").asText()).isEqualTo(JobFixtures.cnn().toString());
    assertThat(plan.get("model").get("sha256").asText()).hasSize(64);
    assertThat(plan.get("model").get("input").asText()).isEqualTo("1x8x8");
    assertThat(plan.get("forget").get("size").asInt()).as("forget ids").isEqualTo(4);
    assertThat(plan.get("test").get("size").asInt()).as("test less held-out").isEqualTo(450);
    assertThat(plan.get("held_out").get("size").asInt()).isEqualTo(50);
    assertThat(plan.get("held_out").get("from_test").asBoolean()).isTrue();
    assertThat(plan.get("retain").isNull()).isTrue();
    assertThat(plan.get("method").asText()).isEqualTo("l2ul");
    assertThat(plan.get("goal").asText()).isEqualTo("misclassify");
    assertThat(plan.get("preset").asText()).isEqualTo("lethe");
    assertThat(plan.get("pgd").get("steps").asInt()).as("--set pgd.steps").isEqualTo(20);
    assertThat(plan.get("settings").size()).as("one candidate").isEqualTo(1);
    assertThat(texts(plan.get("stages")))
        .containsExactly(
            "validate", "adversarial", "importance", "finetune", "evaluate", "publish");
    assertThat(plan.get("publish_to").asText())
        .endsWith("/digits-cnn-bn/<UTC start time>-plan-1")
        .contains(out.toString());
    assertThat(plan.get("already_published").isNull()).isTrue();
    assertThat(plan.get("gates").get("min_test_kept").asDouble())
        .as("the default gate without --max-test-drop")
        .isEqualTo(0.5);
    assertThat(out).as("nothing under --out, not even the folder").doesNotExist();
    assertThat(read(report)).as("the report is the summary line").isEqualTo(plan);
    assertThat(names(report.getParent()))
        .as("no temporary file left")
        .containsExactly("dry-run.json");
    JsonShape.assertShape("unlearn-dry-run.txt", plan);

    CliRun sampled = unlearn(out, "--sample", "5", "--dry-run");
    assertThat(sampled.exitCode()).as("stderr:\n%s", sampled.stderr()).isZero();
    assertThat(sampled.summary().get("forget").get("size").asInt()).as("--sample").isEqualTo(5);
    assertThat(out).doesNotExist();
  }

  @Test
  void anUnlearnDryRunWithABadInputOrOptionFailsNamingItAndReportsTheFailure() throws Exception {
    Path out = tmp.resolve("out");
    Path report = tmp.resolve("bad-input.json");
    CliRun bad =
        unlearn(
            out, "--forget-ids", "digits/0,nowhere/1", "--dry-run", "--report", report.toString());
    assertThat(bad.exitCode()).isEqualTo(1);
    assertThat(bad.summary().get("error").asText()).contains("nowhere/1");
    JsonNode failed = read(report);
    assertThat(failed.get("status").asText()).isEqualTo("failed");
    assertThat(failed.get("exit_code").asInt()).isEqualTo(1);
    assertThat(failed.get("error").asText()).contains("nowhere/1");

    Path usage = tmp.resolve("usage.json");
    CliRun set =
        unlearn(out, "--set", "pgd.steps=many", "--dry-run", "--report", "file://" + usage);
    assertThat(set.exitCode()).isEqualTo(2);
    assertThat(set.stderr()).contains("pgd.steps");
    JsonNode usageReport = read(usage);
    assertThat(usageReport.get("status").asText()).isEqualTo("failed");
    assertThat(usageReport.get("exit_code").asInt()).isEqualTo(2);
    assertThat(usageReport.get("error").asText()).contains("pgd.steps");
    assertThat(usageReport).isEqualTo(set.summary());
    assertThat(out).doesNotExist();
  }

  @Test
  void aReportThatCannotBeWrittenTurnsSuccessIntoExitOne() throws Exception {
    Path out = tmp.resolve("out");
    Path file = Files.writeString(tmp.resolve("a-file"), "not a folder");
    CliRun run =
        unlearn(
            out,
            "--forget-ids",
            IDS,
            "--dry-run",
            "--report",
            file.resolve("report.json").toString());
    assertThat(run.exitCode()).as("stderr:\n%s", run.stderr()).isEqualTo(1);
    assertThat(run.stderr()).contains("Cannot write the report to");
    assertThat(run.summary().get("status").asText()).isEqualTo("failed");
    assertThat(run.summary().get("error").asText()).contains("--report");
  }

  @Test
  void aRunThatMissesItsGoalWritesAFailedReportWithWhatItMeasured() throws Exception {
    Path out = tmp.resolve("out");
    Path report = tmp.resolve("not-reached.json");
    CliRun run =
        unlearn(
            out,
            "--forget-ids",
            IDS,
            "--set",
            "learning-rate=1e-9",
            "--set",
            "max-epochs=1",
            "--report",
            report.toString());
    assertThat(run.exitCode()).as("stderr:\n%s", run.stderr()).isEqualTo(3);
    JsonNode failed = read(report);
    assertThat(failed.get("status").asText()).isEqualTo("failed");
    assertThat(failed.get("exit_code").asInt()).isEqualTo(3);
    assertThat(failed.get("error").asText()).isNotBlank();
    assertThat(failed.get("forget").get("accuracy_after").asDouble())
        .as("the measured forget accuracy")
        .isPositive();
    assertThat(failed).as("the report is the summary line").isEqualTo(run.summary());
  }

  @Test
  void aRunThatFailsInAStageReportsWhatItMeasuredBefore() throws Exception {
    Path out = tmp.resolve("out");
    Path report = tmp.resolve("stage-failed.json");
    // A --work that cannot be written now fails before any work (OutputProbeTest), and the run's
    // own folder, <UTC start time>-<run id>, is made (with its owner file) before stage A. To fail
    // in stage A, stage A's checkpoint, <run folder>/adversarial, is taken by a file, for every
    // start time in the next 10 minutes.
    Path work = Files.createDirectories(tmp.resolve("work"));
    java.time.format.DateTimeFormatter time =
        java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(java.time.ZoneOffset.UTC);
    java.time.Instant now = java.time.Instant.now();
    for (int s = 0; s < 600; s++) {
      Path runFolder =
          Files.createDirectories(work.resolve(time.format(now.plusSeconds(s)) + "-blocked"));
      Files.writeString(runFolder.resolve("adversarial"), "not a folder");
    }
    CliRun run =
        unlearn(
            out,
            "--forget-ids",
            IDS,
            "--work",
            work.toString(),
            "--run-id",
            "blocked",
            "--report",
            report.toString());
    assertThat(run.exitCode()).as("stderr:\n%s", run.stderr()).isEqualTo(1);
    JsonNode failed = read(report);
    assertThat(failed).as("the report is the summary line").isEqualTo(run.summary());
    assertThat(failed.get("status").asText()).isEqualTo("failed");
    assertThat(failed.get("exit_code").asInt()).isEqualTo(1);
    assertThat(failed.get("error").asText()).isNotBlank();
    assertThat(failed.get("stage").asText())
        .as("stage A writes its checkpoint under --work")
        .isEqualTo("adversarial");
    assertThat(failed.get("model_sha256").asText()).hasSize(64);
    assertThat(failed.get("forget").get("size").asInt()).isEqualTo(4);
    assertThat(failed.get("test").get("size").asInt()).isEqualTo(500);
  }

  private CliRun sweep(Path requests, Path ledger, Path subjects, Path out, String... extra) {
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
                "--subjects",
                subjects.toString(),
                "--model",
                JobFixtures.cnn().toString(),
                "--out",
                out.toString(),
                "--test",
                JobFixtures.testImages().toString(),
                "--max-per-run",
                "4"));
    args.addAll(List.of(extra));
    return JobFixtures.cli(args.toArray(String[]::new));
  }

  @Test
  void aSweepDryRunPlansTheRunsAndCreatesNoLedgerNoLockAndNoOutput() throws Exception {
    Path requests = Files.createDirectories(tmp.resolve("requests"));
    Files.writeString(
        requests.resolve("a.jsonl"), "{\"request_id\": \"r-001\", \"subject\": \"u1\"}\n");
    Files.writeString(
        requests.resolve("b.jsonl"),
        "{\"request_id\": \"r-002\", \"sample_ids\": [\"digits/5\", \"digits/40\","
            + " \"digits/77\"]}\n");
    Files.writeString(
        requests.resolve("c.jsonl"), "{\"request_id\": \"r-003\", \"subject\": \"nobody\"}\n");
    Path subjects = tmp.resolve("subjects.csv");
    Files.writeString(subjects, "subject,id\nu1,digits/0\nu1,digits/37\nu1,digits/74\n");
    Path ledger = tmp.resolve("ledger");
    Path out = tmp.resolve("out");

    CliRun run = sweep(requests, ledger, subjects, out, "--dry-run");
    assertThat(run.exitCode()).as("stderr:\n%s", run.stderr()).isZero();
    JsonNode plan = run.summary();
    assertThat(plan.get("status").asText()).isEqualTo("ok");
    assertThat(plan.get("command").asText()).isEqualTo("sweep");
    assertThat(plan.get("dry_run").asBoolean()).isTrue();
    assertThat(plan.get("ledger").get("exists").asBoolean()).isFalse();
    assertThat(plan.get("requests_read").asInt()).isEqualTo(3);
    assertThat(plan.get("pending").asInt()).as("no ledger: every request pending").isEqualTo(3);
    assertThat(plan.get("rejected").size()).isEqualTo(1);
    assertThat(plan.get("rejected").get(0).get("request_id").asText()).isEqualTo("r-003");
    assertThat(plan.get("rejected").get(0).get("reason").asText()).contains("nobody");
    assertThat(plan.get("to_unlearn").asInt()).isEqualTo(2);
    JsonNode runs = plan.get("runs");
    assertThat(runs.size()).as("3 + 3 samples in runs of at most 4").isEqualTo(2);
    assertThat(runs.get(0).get("request_ids").get(0).asText()).isEqualTo("r-001");
    assertThat(runs.get(0).get("samples").asInt()).isEqualTo(3);
    assertThat(runs.get(1).get("request_ids").get(0).asText()).isEqualTo("r-002");
    assertThat(runs.get(1).get("samples").asInt()).isEqualTo(3);
    assertThat(plan.get("model").get("start_from").asText())
        .isEqualTo(JobFixtures.cnn().toString());
    assertThat(plan.get("model").get("current_version").isNull()).isTrue();
    assertThat(plan.get("publish_to").asText()).endsWith("/digits-cnn-bn");
    assertThat(names(tmp))
        .as("no ledger, no lock table, no --out folder")
        .containsExactly("requests", "subjects.csv");
    JsonShape.assertShape("sweep-dry-run.txt", plan);

    CliRun missing = sweep(tmp.resolve("no-requests"), ledger, subjects, out, "--dry-run");
    assertThat(missing.exitCode()).as("stderr:\n%s", missing.stderr()).isEqualTo(1);
    assertThat(missing.summary().get("error").asText()).contains("no-requests");

    CliRun noTest =
        sweep(requests, ledger, subjects, out, "--dry-run", "--retain", tmp + "/no-retain");
    assertThat(noTest.exitCode()).as("stderr:\n%s", noTest.stderr()).isEqualTo(1);
    assertThat(noTest.summary().get("error").asText()).contains("no-retain");

    CliRun usage = sweep(requests, ledger, subjects, out, "--dry-run", "--max-per-run", "0");
    assertThat(usage.exitCode()).isEqualTo(2);
    assertThat(names(tmp)).containsExactly("requests", "subjects.csv");
  }

  @Test
  void aSweepDryRunReadsAnExistingLedgerWhileAnotherSweepHoldsItAndALockedSweepReports()
      throws Exception {
    Path requests = Files.createDirectories(tmp.resolve("requests"));
    Files.writeString(
        requests.resolve("a.jsonl"),
        "{\"request_id\": \"r-001\", \"sample_ids\": [\"digits/1\"]}\n"
            + "{\"request_id\": \"r-002\", \"sample_ids\": [\"digits/2\", \"digits/3\"]}\n");
    Path subjects = tmp.resolve("subjects.csv");
    Files.writeString(subjects, "subject,id\n");
    Path ledgerDir = tmp.resolve("ledger");
    Path out = tmp.resolve("out");
    Ledger ledger = Ledger.open(spark, ledgerDir.toString());
    ledger.record(List.of(Outcome.rejected("r-001", "recorded by an earlier sweep")));
    long version = ledger.version();
    try (SweepLock held = SweepLock.acquire(ledger, "another sweep", Duration.ofMinutes(5))) {
      CliRun dry = sweep(requests, ledgerDir, subjects, out, "--dry-run");
      assertThat(dry.exitCode()).as("the lock does not matter; stderr:\n%s", dry.stderr()).isZero();
      JsonNode plan = dry.summary();
      assertThat(plan.get("ledger").get("exists").asBoolean()).isTrue();
      assertThat(plan.get("requests_read").asInt()).isEqualTo(2);
      assertThat(plan.get("pending").asInt()).as("r-001 is in the ledger").isEqualTo(1);
      assertThat(plan.get("runs").size()).isEqualTo(1);
      assertThat(plan.get("runs").get(0).get("request_ids").get(0).asText()).isEqualTo("r-002");
      assertThat(plan.get("runs").get(0).get("samples").asInt()).isEqualTo(2);
      assertThat(Ledger.open(spark, ledgerDir.toString()).version())
          .as("nothing recorded")
          .isEqualTo(version);

      Path report = tmp.resolve("locked.json");
      CliRun locked = sweep(requests, ledgerDir, subjects, out, "--report", report.toString());
      assertThat(locked.exitCode()).as("stderr:\n%s", locked.stderr()).isEqualTo(4);
      JsonNode failed = read(report);
      assertThat(failed).isEqualTo(locked.summary());
      assertThat(failed.get("status").asText()).isEqualTo("failed");
      assertThat(failed.get("exit_code").asInt()).isEqualTo(4);
      assertThat(failed.get("locked_by").asText()).isEqualTo("another sweep");
      assertThat(failed.get("error").asText()).isNotBlank();
    }
    assertThat(out).as("nothing published").doesNotExist();
  }
}
