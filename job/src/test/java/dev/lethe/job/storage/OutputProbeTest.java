package dev.lethe.job.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import dev.lethe.job.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, items 1 and 2: every output location (--out, --work, --ledger, --report) is probed
 * before any work, and one that cannot be written fails at once with one "Cannot write ..." line
 * naming the URI and the option, exit code 1, no stack trace, and nothing read or run. Runs as root
 * in CI, where a folder without write permission is still writable: the unwritable location here is
 * a path under an existing regular file, which fails for every user.
 */
class OutputProbeTest extends SparkTestBase {

  @TempDir Path tmp;

  private static CliRun unlearn(String out, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "unlearn",
                "--model",
                JobFixtures.cnn().toString(),
                "--forget",
                JobFixtures.trainImages().toString(),
                "--forget-ids",
                "digits/0,digits/37",
                "--test",
                JobFixtures.testImages().toString(),
                "--out",
                out));
    args.addAll(JobFixtures.QUICK_UNLEARN);
    args.addAll(List.of(extra));
    return JobFixtures.cli(args.toArray(String[]::new));
  }

  /**
   * The run failed before any work with exactly one line on stderr, which starts with {@code
   * start}, exit code 1, no stack frame, and a summary line that carries no stage or measurement.
   */
  private static String assertFailedBeforeAnyWork(CliRun run, String start) {
    assertThat(run.exitCode()).as("exit code; stderr:\n%s", run.stderr()).isEqualTo(1);
    assertThat(run.stderr()).as("no stack trace").doesNotContain("\tat ");
    List<String> lines = run.stderr().strip().lines().toList();
    assertThat(lines).as("one line on stderr").hasSize(1);
    assertThat(lines.get(0)).as("the message").startsWith(start);
    JsonNode summary = run.summary();
    assertThat(summary.get("status").asText()).isEqualTo("failed");
    assertThat(summary.get("exit_code").asInt()).isEqualTo(1);
    assertThat(summary.get("error").asText()).isEqualTo(lines.get(0));
    assertThat(summary.has("stage") ? summary.get("stage").asText() : "validate")
        .as("no stage reached: nothing was read or run")
        .isEqualTo("validate");
    for (String measured : List.of("forget", "test", "k", "accuracy", "model_sha256")) {
      assertThat(summary.has(measured)).as("summary has no %s: %s", measured, summary).isFalse();
    }
    return lines.get(0);
  }

  /** Sets Hadoop options on the test's session for the duration of {@code body}. */
  private static void withHadoop(Map<String, String> options, Runnable body) {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    try {
      options.forEach(hadoop::set);
      body.run();
    } finally {
      options.keySet().forEach(hadoop::unset);
    }
  }

  @Test
  void anExistingFileAsOutFailsAtOnceNamingIt() throws Exception {
    Path file = Files.writeString(tmp.resolve("models.txt"), "a file, not a folder");

    CliRun run = unlearn(file.toString());

    String message =
        assertFailedBeforeAnyWork(run, "Cannot write to " + file + " (--out): it is a file");
    assertThat(message).as("says what to give").contains("give ");
    assertThat(Files.readString(file))
        .as("the file is untouched")
        .isEqualTo("a file, not a folder");
  }

  @Test
  void anUnwritableOutFailsAtOnceNamingIt() throws Exception {
    // Root writes to a read-only folder, so the unwritable place is a path under a regular file.
    Path file = Files.writeString(tmp.resolve("file.txt"), "x");
    Path out = file.resolve("out");

    CliRun run = unlearn(out.toString());

    String message = assertFailedBeforeAnyWork(run, "Cannot write to " + out + " (--out): ");
    assertThat(message).as("names the file in the way").contains(file + " is a file");
  }

  @Test
  void anUnwritableWorkFolderFailsAtOnceNamingIt() throws Exception {
    Path file = Files.writeString(tmp.resolve("work.txt"), "x");
    Path out = tmp.resolve("out");

    CliRun run = unlearn(out.toString(), "--work", file.resolve("w").toString());

    assertFailedBeforeAnyWork(run, "Cannot write to " + file.resolve("w") + " (--work): ");
    assertThat(out).as("--out probed and left as it was: not created").doesNotExist();
  }

  @Test
  void anUnwritableReportFailsAtOnceNamingIt() throws Exception {
    Path file = Files.writeString(tmp.resolve("reports"), "x");
    Path report = file.resolve("r.json");

    CliRun run =
        JobFixtures.cli(
            "evaluate",
            "--model",
            JobFixtures.cnn().toString(),
            "--data",
            JobFixtures.testImages().toString(),
            "--report",
            report.toString());

    assertFailedBeforeAnyWork(run, "Cannot write the report to " + report + " (--report): ");
  }

  @Test
  void anUnwritableLedgerFailsTheSweepAtOnceNamingIt() throws Exception {
    Path file = Files.writeString(tmp.resolve("ledgers"), "x");
    Path ledger = file.resolve("ledger");
    Path requests = Files.createDirectories(tmp.resolve("requests"));
    Files.writeString(
        requests.resolve("r.jsonl"), "{\"request_id\":\"r1\",\"ids\":[\"digits/0\"]}\n");

    CliRun run =
        JobFixtures.cli(
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
            tmp.resolve("out").toString());

    assertFailedBeforeAnyWork(run, "Cannot write to " + ledger + " (--ledger): ");
    assertThat(tmp.resolve("out")).as("--out left as it was: not created").doesNotExist();
  }

  @Test
  void anUnknownSchemeFailsAtOnceNamingIt() {
    CliRun run = unlearn("foo://x/models");

    String message =
        assertFailedBeforeAnyWork(
            run, "Cannot write to foo://x/models (--out): no file system for scheme 'foo'");
    assertThat(message).as("says what to give").contains("give ");
  }

  @Test
  void anFtpOutFailsAtOnceNamingIt() {
    CliRun run = assertTimeoutPreemptively(Duration.ofSeconds(90), () -> unlearn("ftp://host/x"));

    assertFailedBeforeAnyWork(run, "Cannot write to ftp://host/x (--out): ");
  }

  @Test
  void anS3aOutWithoutCredentialsFailsAtOnceNamingIt() {
    withHadoop(
        Map.of(
            "fs.s3a.endpoint", "http://127.0.0.1:9",
            "fs.s3a.endpoint.region", "us-east-1",
            "fs.s3a.path.style.access", "true",
            "fs.s3a.aws.credentials.provider",
                "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider"),
        () -> {
          CliRun run =
              assertTimeoutPreemptively(Duration.ofSeconds(90), () -> unlearn("s3a://bucket/out"));
          String message =
              assertFailedBeforeAnyWork(run, "Cannot write to s3a://bucket/out (--out): ");
          assertThat(message)
              .as("says the credentials are missing and where to give them")
              .contains("credentials")
              .contains("fs.s3a.access.key");
        });
  }

  @Test
  void anS3aOutWhoseEndpointDoesNotAnswerFailsWithinAMinute() {
    withHadoop(
        Map.of(
            "fs.s3a.endpoint", "http://127.0.0.1:9",
            "fs.s3a.endpoint.region", "us-east-1",
            "fs.s3a.path.style.access", "true",
            "fs.s3a.access.key", "lethe-test",
            "fs.s3a.secret.key", "lethe-test-secret"),
        () -> {
          long start = System.nanoTime();
          CliRun run =
              assertTimeoutPreemptively(Duration.ofSeconds(90), () -> unlearn("s3a://bucket/out"));
          assertThat(Duration.ofNanos(System.nanoTime() - start))
              .as("fails within about a minute")
              .isLessThan(Duration.ofSeconds(75));
          String message =
              assertFailedBeforeAnyWork(
                  run,
                  "Cannot write to s3a://bucket/out (--out): endpoint http://127.0.0.1:9 did not"
                      + " answer");
          assertThat(message).as("says what to check").contains("check fs.s3a.endpoint");
        });
  }

  @Test
  void aDryRunProbesItsOutputsAndLeavesNothingBehind() throws Exception {
    Path out = tmp.resolve("new/models");
    Path work = tmp.resolve("scratch/work");

    CliRun ok = unlearn(out.toString(), "--work", work.toString(), "--dry-run");
    assertThat(ok.exitCode()).as("stderr:\n%s", ok.stderr()).isZero();
    assertThat(tmp.resolve("new")).as("no folder made for --out's probe").doesNotExist();
    assertThat(tmp.resolve("scratch")).as("no folder made for --work's probe").doesNotExist();

    Files.createDirectories(out);
    CliRun again = unlearn(out.toString(), "--dry-run");
    assertThat(again.exitCode()).as("stderr:\n%s", again.stderr()).isZero();
    try (var left = Files.list(out)) {
      assertThat(left).as("the probe object is deleted").isEmpty();
    }

    Path file = Files.writeString(tmp.resolve("dry.txt"), "x");
    CliRun bad = unlearn(file.toString(), "--dry-run");
    assertFailedBeforeAnyWork(bad, "Cannot write to " + file + " (--out): it is a file");
  }

  @Test
  void verboseAddsTheStackTraceAndEveryCommandTakesIt() {
    CliRun quiet = unlearn("foo://x/models");
    CliRun verbose = unlearn("foo://x/models", "--verbose");

    assertThat(quiet.stderr()).as("no stack trace by default").doesNotContain("\tat ");
    assertThat(verbose.exitCode()).as("stderr:\n%s", verbose.stderr()).isEqualTo(1);
    assertThat(verbose.stderr().lines().findFirst().orElseThrow())
        .as("the same one line first")
        .isEqualTo(quiet.stderr().strip());
    assertThat(verbose.stderr()).as("then the stack trace").contains("\tat ");
    CliRun config = JobFixtures.cli("config", "--verbose");
    assertThat(config.exitCode())
        .as("config takes --verbose; stderr:\n%s", config.stderr())
        .isZero();
  }
}
