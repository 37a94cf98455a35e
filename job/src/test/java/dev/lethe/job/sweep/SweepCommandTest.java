package dev.lethe.job.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lethe.data.Sample;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import dev.lethe.job.JsonShape;
import dev.lethe.job.ledger.DeltaSparkTestBase;
import dev.lethe.job.ledger.Ledger;
import dev.lethe.job.ledger.Outcome;
import dev.lethe.job.ledger.Status;
import dev.lethe.job.ledger.SweepLock;
import dev.lethe.job.model.ModelArtifact;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lethe sweep} on the digits fixtures with a real Delta ledger under local[2]: three request
 * files with one unknown subject, a second sweep with nothing new, and a second batch forgotten in
 * the next version while the first batch stays forgotten.
 */
class SweepCommandTest extends DeltaSparkTestBase {

  @TempDir Path tmp;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> SUBJECT_IDS = List.of("digits/0", "digits/37", "digits/74");
  private static final List<String> REQUEST_IDS = List.of("digits/5", "digits/40", "digits/77");
  private static final List<String> SECOND_IDS = List.of("digits/200", "digits/233", "digits/266");

  private CliRun sweep(Path requests, Path ledger, Path subjects, Path out, String... extra) {
    List<String> args = new ArrayList<>(sweepArgs(requests, ledger, subjects, out));
    if (!List.of(extra).contains("--max-per-run")) {
      args.addAll(List.of("--max-per-run", "8"));
    }
    if (!List.of(extra).contains("--goal")) {
      // These tests check goal misclassify's bookkeeping (accuracy 0 after, audit by accuracy);
      // the default goal unseen has its own test.
      args.addAll(List.of("--goal", "misclassify"));
    }
    args.addAll(List.of(extra));
    return JobFixtures.cli(args.toArray(String[]::new));
  }

  /** {@code lethe audit} of one request with {@code --out}; it must exit 0. */
  private static JsonNode audit(Path ledger, String request, Path out) {
    CliRun audit =
        JobFixtures.cli(
            "audit", "--ledger", ledger.toString(), "--request", request, "--out", out.toString());
    assertThat(audit.exitCode()).as("audit of %s; stderr:\n%s", request, audit.stderr()).isZero();
    return audit.summary();
  }

  /** A sweep of the digits fixtures with quick settings and the sweep's own default goal. */
  private List<String> sweepArgs(Path requests, Path ledger, Path subjects, Path out) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "sweep",
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
                JobFixtures.testImages().toString()));
    args.addAll(JobFixtures.QUICK_UNLEARN);
    return args;
  }

  /**
   * Two different models saved under one file name share {@code <out>/model/}: a sweep of the
   * second must not continue from a version the first published (the manifests would then name the
   * wrong model as the version's origin). The dry run and the sweep refuse it by name before
   * anything is read or recorded; the first model's own sweep still plans from its version.
   */
  @Test
  void aSweepRefusesToContinueFromAnotherModelOfTheSameFileName() throws Exception {
    Path a = Files.createDirectories(tmp.resolve("same-name").resolve("a"));
    Path b = Files.createDirectories(tmp.resolve("same-name").resolve("b"));
    Files.copy(JobFixtures.cnn(), a.resolve("model.pt"));
    Files.copy(
        JobFixtures.cnn().resolveSibling("digits-cnn-bn.lethe.json"),
        a.resolve("model.lethe.json"));
    Files.copy(JobFixtures.mlp(), b.resolve("model.pt"));
    Path out = tmp.resolve("same-name-out");
    String v1 = unlearnOne(a.resolve("model.pt"), "digits/5", out);

    Path requests = Files.createDirectories(tmp.resolve("same-name-requests"));
    Files.writeString(
        requests.resolve("a.jsonl"),
        "{\"request_id\": \"s-1\", \"sample_ids\": [\"digits/40\"]}\n");
    Path ledger = tmp.resolve("same-name-ledger");
    for (boolean dry : List.of(true, false)) {
      CliRun refused = JobFixtures.cli(sweepOf(requests, ledger, b, out, dry));
      assertThat(refused.exitCode()).as("dry %s; stderr:\n%s", dry, refused.stderr()).isEqualTo(2);
      assertThat(refused.stderr())
          .contains("Cannot sweep model " + b.resolve("model.pt"))
          .contains("descends from another model, " + a.resolve("model.pt"))
          .contains("give that model as --model, or another --out");
      assertThat(ledger).as("nothing recorded").doesNotExist();
    }
    CliRun plan = JobFixtures.cli(sweepOf(requests, ledger, a, out, true));
    assertThat(plan.exitCode()).as("stderr:\n%s", plan.stderr()).isZero();
    assertThat(plan.summary().get("model").get("start_from").asText()).contains(v1);

    // a second version made from the first: the chain is walked back to a through it
    String v2 = unlearnOne(out.resolve("model").resolve(v1).resolve("model.pt"), "digits/77", out);
    CliRun fromA = JobFixtures.cli(sweepOf(requests, ledger, a, out, true));
    assertThat(fromA.exitCode()).as("two hops back to a; stderr:\n%s", fromA.stderr()).isZero();
    assertThat(fromA.summary().get("model").get("start_from").asText()).contains(v2);
    CliRun fromB = JobFixtures.cli(sweepOf(requests, ledger, b, out, true));
    assertThat(fromB.exitCode()).as("two hops back to a, not b").isEqualTo(2);

    // the first version deleted (its data is forgotten in the second): where the chain started
    // cannot be told any more, so nothing is refused
    try (Stream<Path> files = Files.walk(out.resolve("model").resolve(v1))) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
    CliRun afterDelete = JobFixtures.cli(sweepOf(requests, ledger, a, out, true));
    assertThat(afterDelete.exitCode()).as("stderr:\n%s", afterDelete.stderr()).isZero();
  }

  /** Unlearns one digit from {@code model} into {@code out}; returns the published version. */
  private static String unlearnOne(Path model, String id, Path out) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "unlearn",
                "--model",
                model.toString(),
                "--forget",
                JobFixtures.trainImages().toString(),
                "--forget-ids",
                id,
                "--out",
                out.toString()));
    args.addAll(JobFixtures.QUICK_UNLEARN);
    CliRun run = JobFixtures.cli(args.toArray(String[]::new));
    assertThat(run.exitCode()).as("stderr:\n%s", run.stderr()).isZero();
    return run.summary().get("version").asText();
  }

  /** {@link #sweepArgs} with {@code dir}'s model.pt as --model, goal misclassify, maybe dry. */
  private String[] sweepOf(Path requests, Path ledger, Path dir, Path out, boolean dry)
      throws Exception {
    Path subjects = Files.writeString(tmp.resolve("no-subjects.csv"), "subject,id\n");
    List<String> args = sweepArgs(requests, ledger, subjects, out);
    args.set(args.indexOf("--model") + 1, dir.resolve("model.pt").toString());
    args.addAll(List.of("--goal", "misclassify"));
    if (dry) {
      args.add("--dry-run");
    }
    return args.toArray(String[]::new);
  }

  private static List<String> versions(Path modelDir) throws Exception {
    try (Stream<Path> s = Files.list(modelDir)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith(".") && !n.equals("current.json"))
          .sorted()
          .toList();
    }
  }

  private static List<Sample> samples(List<String> ids) {
    List<Sample> train = JobFixtures.trainSamples();
    return train.stream().filter(s -> ids.contains(s.id())).toList();
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  @Test
  void sweepsRejectsRecordsThenDoesNothingThenForgetsTheNextBatchKeepingTheFirst()
      throws Exception {
    Path requests = Files.createDirectories(tmp.resolve("requests"));
    Files.writeString(
        requests.resolve("a.jsonl"), "{\"request_id\": \"r-001\", \"subject\": \"u1\"}\n");
    Files.writeString(
        requests.resolve("b.jsonl"),
        "{\"request_id\": \"r-002\", \"sample_ids\": [\"digits/5\", \"digits/40\","
            + " \"digits/77\"], \"received_at\": \"2026-11-30T10:00:00Z\"}\n");
    Files.writeString(
        requests.resolve("c.jsonl"), "{\"request_id\": \"r-003\", \"subject\": \"nobody\"}\n");
    Path subjects = tmp.resolve("subjects.csv");
    Files.writeString(
        subjects, "subject,id\nu1,digits/0\nu1,digits/37\nu1,digits/74\nu2,digits/111\n");
    Path ledgerDir = tmp.resolve("ledger");
    Path out = tmp.resolve("out");
    Path modelDir = out.resolve("digits-cnn-bn");

    CliRun first = sweep(requests, ledgerDir, subjects, out);
    assertThat(first.exitCode()).as("first sweep; stderr:\n%s", first.stderr()).isZero();
    JsonNode summary = first.summary();
    assertThat(summary.get("command").asText()).as("command").isEqualTo("sweep");
    assertThat(summary.get("counts").get("forgotten").asInt()).as("forgotten").isEqualTo(2);
    assertThat(summary.get("counts").get("rejected").asInt()).as("rejected").isEqualTo(1);
    assertThat(summary.get("counts").get("failed").asInt()).as("failed").isZero();
    assertThat(summary.get("runs").asInt()).as("one run for 6 samples").isEqualTo(1);
    assertThat(summary.get("seconds").asDouble()).as("seconds").isPositive();
    List<String> published = texts(summary.get("versions"));
    assertThat(published).as("one version").hasSize(1);
    String v1 = published.get(0);
    assertThat(versions(modelDir)).as("versions on disk").containsExactly(v1);

    JsonNode manifest1 = JSON.readTree(modelDir.resolve(v1).resolve("manifest.json").toFile());
    assertThat(texts(manifest1.get("request_ids")))
        .as("the manifest lists the requests it serves")
        .containsExactly("r-001", "r-002");
    List<String> firstBatch = new ArrayList<>(SUBJECT_IDS);
    firstBatch.addAll(REQUEST_IDS);
    assertThat(texts(manifest1.get("forget").get("ids")))
        .as("first forget set")
        .containsExactlyInAnyOrderElementsOf(firstBatch);
    JsonNode current = JSON.readTree(modelDir.resolve("current.json").toFile());
    assertThat(current.get("version").asText()).as("current after the first sweep").isEqualTo(v1);

    Ledger ledger = Ledger.open(spark, ledgerDir.toString());
    String sha1 =
        ModelArtifact.sha256(Files.readAllBytes(modelDir.resolve(v1).resolve("model.pt")));
    Outcome r1 = ledger.outcome("r-001").orElseThrow();
    assertThat(r1.status()).as("r-001 status").isEqualTo(Status.FORGOTTEN);
    assertThat(r1.version()).as("r-001 version").isEqualTo(v1);
    assertThat(r1.modelSha256()).as("r-001 model sha").isEqualTo(sha1);
    assertThat(r1.sampleIds()).as("r-001 ids").containsExactlyInAnyOrderElementsOf(SUBJECT_IDS);
    assertThat(r1.sampleCount()).as("r-001 count").isEqualTo(3);
    assertThat(r1.forgetAccuracy()).as("r-001 forget accuracy").isZero();
    assertThat(r1.testAccuracyBefore()).as("test before").isPositive();
    assertThat(r1.testAccuracyAfter()).as("test after").isPositive();
    Outcome r2 = ledger.outcome("r-002").orElseThrow();
    assertThat(r2.status()).as("r-002 status").isEqualTo(Status.FORGOTTEN);
    assertThat(r2.receivedAt()).as("r-002 received_at").isNotNull();
    Outcome r3 = ledger.outcome("r-003").orElseThrow();
    assertThat(r3.status()).as("r-003 status").isEqualTo(Status.REJECTED);
    assertThat(r3.reason()).as("r-003 reason names the subject").contains("nobody");

    long ledgerVersion = ledger.version();
    CliRun again = sweep(requests, ledgerDir, subjects, out);
    assertThat(again.exitCode()).as("second sweep; stderr:\n%s", again.stderr()).isZero();
    assertThat(again.summary().get("versions").size()).as("no new version").isZero();
    assertThat(again.summary().get("runs").asInt()).as("no run").isZero();
    for (String status : List.of("forgotten", "rejected", "failed")) {
      assertThat(again.summary().get("counts").get(status).asInt()).as(status).isZero();
    }
    assertThat(versions(modelDir)).as("versions after nothing new").containsExactly(v1);
    assertThat(Ledger.open(spark, ledgerDir.toString()).version())
        .as("nothing recorded")
        .isEqualTo(ledgerVersion);

    Files.writeString(
        requests.resolve("d.jsonl"),
        "{\"request_id\": \"r-004\", \"sample_ids\": [\"digits/200\", \"digits/233\","
            + " \"digits/266\"]}\n");
    CliRun third = sweep(requests, ledgerDir, subjects, out);
    assertThat(third.exitCode()).as("third sweep; stderr:\n%s", third.stderr()).isZero();
    assertThat(third.summary().get("counts").get("forgotten").asInt()).as("r-004").isEqualTo(1);
    List<String> next = texts(third.summary().get("versions"));
    assertThat(next).as("one more version").hasSize(1);
    String v2 = next.get(0);
    assertThat(versions(modelDir)).as("two versions").containsExactly(v1, v2);
    JsonNode manifest2 = JSON.readTree(modelDir.resolve(v2).resolve("manifest.json").toFile());
    assertThat(manifest2.get("parent").get("uri").asText())
        .as("the second version starts from the first")
        .endsWith(v1 + "/model.pt");
    assertThat(texts(manifest2.get("request_ids"))).as("v2 requests").containsExactly("r-004");
    assertThat(texts(manifest2.get("forget").get("ids")))
        .as("earlier forgotten ids stay in the forget set")
        .containsAll(firstBatch)
        .containsAll(SECOND_IDS);
    assertThat(JSON.readTree(modelDir.resolve("current.json").toFile()).get("version").asText())
        .as("current after the third sweep")
        .isEqualTo(v2);
    assertThat(Ledger.open(spark, ledgerDir.toString()).outcome("r-004").orElseThrow().version())
        .as("r-004 version")
        .isEqualTo(v2);

    try (Classifier model =
        Classifier.load(
            modelDir.resolve(v2).resolve("model.pt"), SpecResolver.Partial.empty("t"))) {
      assertThat(model.accuracy(samples(firstBatch), 64))
          .as("the first batch is still misclassified by the second version")
          .isZero();
      assertThat(model.accuracy(samples(SECOND_IDS), 64))
          .as("the second batch is misclassified by the second version")
          .isZero();
    }
    assertThat(Map.of("v1", v1, "v2", v2)).as("distinct versions").doesNotContainValue(null);
    assertThat(v2).as("distinct versions").isNotEqualTo(v1);
    JsonShape.assertShape("sweep-ok.txt", summary);
    JsonShape.assertShape("manifest-sweep.txt", manifest2);
  }

  /**
   * A sweep's default goal is unseen (a model retrained without the images still classifies most of
   * them right, and misclassified training images stand out to a membership-inference attack). It
   * needs a held-out sample; the audit then asks whether the request's losses look like the
   * held-out sample's, not whether its accuracy is 0.
   */
  @Test
  void theDefaultGoalIsUnseenNeedsAHeldOutSampleAndIsAuditedByLosses() throws Exception {
    Path requests = Files.createDirectories(tmp.resolve("requests"));
    Files.writeString(
        requests.resolve("a.jsonl"),
        "{\"request_id\": \"u-001\", \"sample_ids\": [\"digits/5\", \"digits/40\","
            + " \"digits/77\", \"digits/111\"]}\n");
    Path ledgerDir = tmp.resolve("ledger");
    Path out = tmp.resolve("out");
    Path subjects = tmp.resolve("subjects.csv");
    Files.writeString(subjects, "subject,id\nu1,digits/0\n");

    List<String> defaults = new ArrayList<>(sweepArgs(requests, ledgerDir, subjects, out));
    CliRun refused = JobFixtures.cli(defaults.toArray(String[]::new));
    assertThat(refused.exitCode())
        .as("no held-out sample; stderr:\n%s", refused.stderr())
        .isEqualTo(2);
    assertThat(refused.stderr())
        .contains(
            "Cannot run sweep: the default goal unseen needs a held-out sample; give --held-out"
                + " URI or --held-out-from-test N, or choose --goal misclassify");
    assertThat(out).as("nothing written").doesNotExist();

    defaults.addAll(List.of("--held-out-from-test", "100"));
    CliRun run = JobFixtures.cli(defaults.toArray(String[]::new));
    assertThat(run.exitCode()).as("sweep; stderr:\n%s", run.stderr()).isZero();
    String version = run.summary().get("versions").get(0).asText();
    JsonNode manifest =
        JSON.readTree(
            out.resolve("digits-cnn-bn").resolve(version).resolve("manifest.json").toFile());
    assertThat(manifest.get("goal").asText()).as("the default goal").isEqualTo("unseen");

    JsonNode report = audit(ledgerDir, "u-001", out);
    assertThat(report.get("goal").asText()).isEqualTo("unseen");
    assertThat(report.get("held_out_size").asInt()).as("the run's held-out draw").isEqualTo(100);
    assertThat(report.get("samples_found").asInt()).isEqualTo(4);
    double p = report.get("loss_lower_p").asDouble();
    assertThat(report.get("loss_percentile").asDouble()).isBetween(0.0, 1.0);
    assertThat(report.get("still_forgotten").asBoolean())
        .as("still forgotten = losses not significantly below the held-out sample's (p %s)", p)
        .isEqualTo(p >= 0.05)
        .isTrue();
    assertThat(report.get("current_accuracy").asDouble())
        .as("goal unseen does not ask for misclassification")
        .isGreaterThan(0.0);
  }

  @Test
  void aRunBreakingTheTestDropGatePublishesNothingAndRecordsItsRequestsFailed() throws Exception {
    Path requests = Files.createDirectories(tmp.resolve("gate-requests"));
    Files.writeString(
        requests.resolve("a.jsonl"),
        "{\"request_id\": \"g-001\", \"sample_ids\": [\"digits/1\", \"digits/2\","
            + " \"digits/3\", \"digits/4\", \"digits/6\", \"digits/7\", \"digits/8\"]}\n");
    Path subjects = tmp.resolve("gate-subjects.csv");
    Files.writeString(subjects, "subject,id\nu1,digits/0\n");
    Path ledgerDir = tmp.resolve("gate-ledger");
    Path out = tmp.resolve("gate-out");

    List<String> forgetIds =
        List.of("digits/1", "digits/2", "digits/3", "digits/4", "digits/6", "digits/7", "digits/8");
    Path retain = JobFixtures.writeRetainFolder(forgetIds, tmp.resolve("gate-retain"));
    // One run breaks both gates (cheaper than a run per gate): its reason names each.
    CliRun run =
        sweep(
            requests,
            ledgerDir,
            subjects,
            out,
            "--max-test-drop",
            "0",
            "--retain",
            retain.toString(),
            "--max-retain-drop",
            "0");
    assertThat(run.exitCode()).as("gate broken; stderr:\n%s", run.stderr()).isEqualTo(3);
    JsonNode summary = run.summary();
    assertThat(summary.get("status").asText()).as("status").isEqualTo("failed");
    assertThat(summary.get("counts").get("failed").asInt()).as("failed").isEqualTo(1);
    assertThat(summary.get("counts").get("forgotten").asInt()).as("forgotten").isZero();
    assertThat(summary.get("versions").size()).as("no version").isZero();
    JsonShape.assertShape("sweep-failed.txt", summary);
    Path modelDir = out.resolve("digits-cnn-bn");
    assertThat(modelDir.resolve("current.json")).as("no current pointer").doesNotExist();
    assertThat(Files.exists(modelDir) ? versions(modelDir) : List.<String>of())
        .as("no version folder")
        .isEmpty();
    Outcome g1 = Ledger.open(spark, ledgerDir.toString()).outcome("g-001").orElseThrow();
    assertThat(g1.status()).as("g-001 status").isEqualTo(Status.FAILED);
    assertThat(g1.reason())
        .as("g-001 reason")
        .contains("test accuracy fell")
        .contains("max-test-drop 0.0")
        .contains("retain accuracy fell")
        .contains("max-retain-drop 0.0");
    assertThat(g1.sampleCount()).as("g-001 samples").isEqualTo(7);

    CliRun usage = sweep(requests, ledgerDir, subjects, out, "--max-test-drop", "-1");
    assertThat(usage.exitCode()).as("negative gate").isEqualTo(2);
    assertThat(usage.stderr()).as("names the option").contains("--max-test-drop");

    CliRun noRetain = sweep(requests, ledgerDir, subjects, out, "--max-retain-drop", "0");
    assertThat(noRetain.exitCode()).as("retain gate without --retain").isEqualTo(2);
    assertThat(noRetain.stderr())
        .as("names both options")
        .contains("--max-retain-drop needs --retain");
    CliRun retainMethod = sweep(requests, ledgerDir, subjects, out, "--method", "retain");
    assertThat(retainMethod.exitCode()).as("method retain without --retain").isEqualTo(2);
    assertThat(retainMethod.stderr()).as("names --retain").contains("needs --retain");
  }

  @Test
  void aSweepStoppedAfterPublishingIsRecordedFromTheManifestWithoutUnlearningTwice()
      throws Exception {
    Path requests = Files.createDirectories(tmp.resolve("crash-requests"));
    Files.writeString(
        requests.resolve("a.jsonl"), "{\"request_id\": \"c-001\", \"subject\": \"u1\"}\n");
    Path subjects = tmp.resolve("crash-subjects.csv");
    Files.writeString(subjects, "subject,id\nu1,digits/0\nu1,digits/37\n");
    Path ledgerDir = tmp.resolve("crash-ledger");
    Path out = tmp.resolve("crash-out");
    Path modelDir = out.resolve("digits-cnn-bn");
    CliRun first = sweep(requests, ledgerDir, subjects, out);
    assertThat(first.exitCode()).as("first sweep; stderr:\n%s", first.stderr()).isZero();
    String v1 = first.summary().get("versions").get(0).asText();
    // The crash: the version is published, its outcome never recorded. Deleting the row
    // (a test device; sweeps never delete) leaves the ledger as a killed sweep would.
    io.delta.tables.DeltaTable.forPath(spark, ledgerDir.toString()).delete("request_id = 'c-001'");
    assertThat(Ledger.open(spark, ledgerDir.toString()).outcome("c-001"))
        .as("c-001 unrecorded")
        .isEmpty();
    // A new request arrives meanwhile, so this sweep groups its requests differently.
    Files.writeString(
        requests.resolve("b.jsonl"),
        "{\"request_id\": \"c-002\", \"sample_ids\": [\"digits/300\"]}\n");

    CliRun next = sweep(requests, ledgerDir, subjects, out);
    assertThat(next.exitCode()).as("next sweep; stderr:\n%s", next.stderr()).isZero();
    assertThat(next.summary().get("counts").get("forgotten").asInt())
        .as("c-001 completed, c-002 forgotten")
        .isEqualTo(2);
    assertThat(next.summary().get("runs").asInt()).as("one run, for c-002 only").isEqualTo(1);
    String v2 = next.summary().get("versions").get(0).asText();
    assertThat(versions(modelDir)).as("versions").containsExactly(v1, v2);
    JsonNode manifest2 = JSON.readTree(modelDir.resolve(v2).resolve("manifest.json").toFile());
    assertThat(texts(manifest2.get("request_ids"))).as("v2 serves c-002").containsExactly("c-002");
    Ledger ledger = Ledger.open(spark, ledgerDir.toString());
    Outcome c1 = ledger.outcome("c-001").orElseThrow();
    assertThat(c1.status()).as("c-001 status").isEqualTo(Status.FORGOTTEN);
    assertThat(c1.version()).as("c-001 recorded from v1's manifest").isEqualTo(v1);
    assertThat(c1.modelSha256())
        .as("c-001 model sha")
        .isEqualTo(
            ModelArtifact.sha256(Files.readAllBytes(modelDir.resolve(v1).resolve("model.pt"))));
    assertThat(c1.sampleIds()).as("c-001 ids").containsExactlyInAnyOrder("digits/0", "digits/37");
    assertThat(ledger.outcome("c-002").orElseThrow().version()).as("c-002").isEqualTo(v2);

    // audit: the outcome, its version's manifest hash, its samples re-measured on current (v2).
    JsonNode report = audit(ledgerDir, "c-001", out);
    assertThat(report.get("command").asText()).as("command").isEqualTo("audit");
    assertThat(report.get("outcome").asText()).as("outcome").isEqualTo("forgotten");
    assertThat(report.get("version").asText()).as("version").isEqualTo(v1);
    assertThat(report.get("manifest_sha256").asText())
        .as("manifest hash")
        .isEqualTo(
            ModelArtifact.sha256(
                Files.readAllBytes(modelDir.resolve(v1).resolve("manifest.json"))));
    assertThat(report.get("current_version").asText()).as("current version").isEqualTo(v2);
    assertThat(report.get("samples_found").asInt()).as("samples found").isEqualTo(2);
    assertThat(report.get("current_accuracy").asDouble())
        .as("c-001's samples on the current version")
        .isZero();
    assertThat(report.get("still_forgotten").asBoolean()).as("still forgotten").isTrue();

    CliRun unknown =
        JobFixtures.cli("audit", "--ledger", ledgerDir.toString(), "--request", "nope");
    assertThat(unknown.exitCode()).as("unknown request").isEqualTo(1);
    assertThat(unknown.stderr()).as("names the request").contains("Cannot audit request nope");
    JsonShape.assertShape("audit.txt", report);
  }

  @Test
  void aRequestLargerThanTheRunLimitIsForgottenInChainedRunsAndRecordedAfterTheLast()
      throws Exception {
    // 128 samples, the size, in runs of at most 64 (sweep's default).
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 128; i++) {
      ids.add("digits/" + (400 + i * 7));
    }
    Path requests = Files.createDirectories(tmp.resolve("chain-requests"));
    Files.writeString(
        requests.resolve("a.jsonl"),
        JSON.writeValueAsString(Map.of("request_id", "k-001", "sample_ids", ids)) + "\n");
    Path subjects = tmp.resolve("chain-subjects.csv");
    Files.writeString(subjects, "subject,id\nu1,digits/0\n");
    Path ledgerDir = tmp.resolve("chain-ledger");
    Path out = tmp.resolve("chain-out");
    Path modelDir = out.resolve("digits-cnn-bn");

    CliRun run = sweep(requests, ledgerDir, subjects, out, "--max-per-run", "64");
    assertThat(run.exitCode()).as("chained sweep; stderr:\n%s", run.stderr()).isZero();
    JsonNode summary = run.summary();
    assertThat(summary.get("runs").asInt()).as("128 samples in runs of 64").isEqualTo(2);
    assertThat(summary.get("counts").get("forgotten").asInt()).as("one request").isEqualTo(1);
    List<String> published = texts(summary.get("versions"));
    assertThat(published).as("a version per run").hasSize(2);
    assertThat(versions(modelDir)).as("versions on disk").containsExactlyElementsOf(published);
    for (int i = 0; i < 1; i++) {
      JsonNode m =
          JSON.readTree(modelDir.resolve(published.get(i)).resolve("manifest.json").toFile());
      assertThat(m.has("request_ids"))
          .as("version %d does not complete k-001, so does not list it", i + 1)
          .isFalse();
    }
    String last = published.get(1);
    JsonNode lastManifest = JSON.readTree(modelDir.resolve(last).resolve("manifest.json").toFile());
    assertThat(texts(lastManifest.get("request_ids")))
        .as("last lists k-001")
        .containsExactly("k-001");
    assertThat(texts(lastManifest.get("forget").get("ids")))
        .as("the last run keeps the earlier parts in its forget set")
        .containsExactlyInAnyOrderElementsOf(ids);
    Outcome k1 = Ledger.open(spark, ledgerDir.toString()).outcome("k-001").orElseThrow();
    assertThat(k1.version()).as("recorded with the last version").isEqualTo(last);
    assertThat(k1.sampleCount()).as("all its samples").isEqualTo(128);
    try (Classifier model =
        Classifier.load(
            modelDir.resolve(last).resolve("model.pt"), SpecResolver.Partial.empty("t"))) {
      assertThat(model.accuracy(samples(ids), 64)).as("all 128 forgotten by the last").isZero();
    }
  }

  @Test
  void twoSweepsAtOnceOnOneLedgerPublishOnceAndASweepThatLostItsLeasePublishesNothing()
      throws Exception {
    Path requests = Files.createDirectories(tmp.resolve("twin-requests"));
    Files.writeString(
        requests.resolve("a.jsonl"),
        "{\"request_id\": \"t-001\", \"sample_ids\": [\"digits/9\", \"digits/19\"]}\n"
            + "{\"request_id\": \"t-002\", \"subject\": \"u1\"}\n");
    Path subjects = tmp.resolve("twin-subjects.csv");
    Files.writeString(subjects, "subject,id\nu1,digits/29\n");
    Path ledgerDir = tmp.resolve("twin-ledger");
    Path out = tmp.resolve("twin-out");
    Path modelDir = out.resolve("digits-cnn-bn");

    // Two sweeps started at the same moment on one ledger: one publishes, the other is refused.
    CyclicBarrier start = new CyclicBarrier(2);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<CliRun> twins = new ArrayList<>();
    try {
      List<Future<CliRun>> runs = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        runs.add(
            pool.submit(
                () -> {
                  start.await(1, TimeUnit.MINUTES);
                  return sweep(requests, ledgerDir, subjects, out);
                }));
      }
      for (Future<CliRun> run : runs) {
        twins.add(run.get(10, TimeUnit.MINUTES));
      }
    } finally {
      pool.shutdownNow();
    }
    List<CliRun> published = twins.stream().filter(r -> r.exitCode() == 0).toList();
    List<CliRun> refused = twins.stream().filter(r -> r.exitCode() == 4).toList();
    assertThat(published)
        .as(
            "one sweep published; stderr:\n%s\n---\n%s",
            twins.get(0).stderr(), twins.get(1).stderr())
        .hasSize(1);
    assertThat(refused)
        .as(
            "the other was refused (exit 4); exit codes %d, %d; stderr:\n%s\n---\n%s",
            twins.get(0).exitCode(),
            twins.get(1).exitCode(),
            twins.get(0).stderr(),
            twins.get(1).stderr())
        .hasSize(1);
    JsonNode refusal = refused.get(0).summary();
    assertThat(refusal.get("status").asText()).as("refused status").isEqualTo("failed");
    assertThat(refusal.get("locked_by").asText()).as("names the holder").startsWith("sweep ");
    assertThat(refused.get(0).stderr()).as("refusal message").contains("nothing was done");
    List<String> versions = texts(published.get(0).summary().get("versions"));
    assertThat(versions).as("one version").hasSize(1);
    assertThat(versions(modelDir)).as("one version on disk").containsExactlyElementsOf(versions);
    Ledger ledger = Ledger.open(spark, ledgerDir.toString());
    assertThat(ledger.outcomes())
        .as("each request recorded once, forgotten by that version")
        .extracting(Outcome::requestId, Outcome::status, Outcome::version)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("t-001", Status.FORGOTTEN, versions.get(0)),
            org.assertj.core.groups.Tuple.tuple("t-002", Status.FORGOTTEN, versions.get(0)));

    // A sweep whose lease is taken over while it unlearns (another sweep after its lease expired,
    // here written into the lease table) stops before publishing and records nothing.
    Files.writeString(
        requests.resolve("b.jsonl"),
        "{\"request_id\": \"t-003\", \"sample_ids\": [\"digits/39\"]}\n");
    String lockTable = SweepLock.locationOf(ledger);
    ExecutorService one = Executors.newSingleThreadExecutor();
    CliRun fenced;
    try {
      Future<CliRun> running = one.submit(() -> sweep(requests, ledgerDir, subjects, out));
      takeOverOnceHeld(lockTable, running);
      fenced = running.get(10, TimeUnit.MINUTES);
    } finally {
      one.shutdownNow();
    }
    assertThat(fenced.exitCode()).as("lost lease; stderr:\n%s", fenced.stderr()).isEqualTo(4);
    assertThat(fenced.stderr())
        .as("why")
        .contains("lost its lock")
        .contains("sweep intruder took it");
    assertThat(versions(modelDir)).as("nothing more published").containsExactlyElementsOf(versions);
    JsonNode fencedLine = fenced.summary();
    assertThat(fencedLine.get("stage").asText())
        .as("the report says how far the sweep got before it lost its lease")
        .isEqualTo("run 1/1");
    assertThat(fencedLine.get("versions")).as("published before").isEmpty();
    assertThat(fencedLine.get("pending").asInt()).as("t-003 still to do").isEqualTo(1);
    assertThat(Ledger.open(spark, ledgerDir.toString()).outcome("t-003"))
        .as("t-003 still pending")
        .isEmpty();

    // Once the intruder's lease is released, the next sweep forgets t-003.
    io.delta.tables.DeltaTable.forPath(spark, lockTable)
        .updateExpr(Map.of("released_at", "current_timestamp()"));
    CliRun after = sweep(requests, ledgerDir, subjects, out);
    assertThat(after.exitCode()).as("after release; stderr:\n%s", after.stderr()).isZero();
    assertThat(after.summary().get("counts").get("forgotten").asInt()).as("t-003").isEqualTo(1);
    JsonShape.assertShape("sweep-locked.txt", refusal);
  }

  /** Waits until the running sweep holds the lease, then hands it to "sweep intruder". */
  private static void takeOverOnceHeld(String lockTable, Future<CliRun> running) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (System.nanoTime() < deadline && !running.isDone()) {
      if (io.delta.tables.DeltaTable.isDeltaTable(spark, lockTable)
          && !spark
              .read()
              .format("delta")
              .load(lockTable)
              .filter("released_at IS NULL AND holder LIKE 'sweep %'")
              .isEmpty()) {
        io.delta.tables.DeltaTable.forPath(spark, lockTable)
            .updateExpr(Map.of("holder", "'sweep intruder'"));
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the sweep never held the lease");
  }
}
