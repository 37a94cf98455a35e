package dev.lethe.job.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import dev.lethe.job.LetheMain;
import dev.lethe.job.conf.LetheConf;
import dev.lethe.job.ledger.DeltaSparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark operator manifests and the image in deploy/k8s, without a cluster or a Docker daemon:
 * the YAML parses into the expected kinds, the main class and the jar path are the job's and the
 * image's, the sweep never runs twice at once, no credential is written inline, the Lethe settings
 * are ones the job knows, and the manifests' arguments, with every s3a:// URI replaced by a local
 * fixture through an explicit map, run against the real job with {@code --dry-run}. The
 * Dockerfile's base image matches the pom's Spark version. Nothing here builds the image or applies
 * a manifest (docs/DEPLOY.md).
 */
class KubernetesManifestsTest extends DeltaSparkTestBase {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final String API_VERSION = "sparkoperator.k8s.io/v1beta2";
  private static final String JAR = "/opt/lethe/lethe-job.jar";

  /** Keys whose value would be a credential when written as plain text. */
  private static final Pattern SECRET_KEY =
      Pattern.compile("secret|password|token|access.?key", Pattern.CASE_INSENSITIVE);

  @TempDir Path tmp;

  private static Path k8sDir() {
    return DeployChecks.deployDir().resolve("k8s");
  }

  private static JsonNode manifest(String name) throws Exception {
    return YAML.readTree(k8sDir().resolve(name).toFile());
  }

  private static JsonNode unlearn() throws Exception {
    return manifest("sparkapplication-unlearn.yaml");
  }

  private static JsonNode sweep() throws Exception {
    return manifest("scheduledsparkapplication-sweep.yaml");
  }

  /** The application spec: a SparkApplication's spec, a ScheduledSparkApplication's template. */
  private static JsonNode application(JsonNode manifest) {
    JsonNode spec = manifest.path("spec");
    return spec.has("template") ? spec.path("template") : spec;
  }

  private static List<String> arguments(JsonNode manifest) {
    List<String> args = new ArrayList<>();
    application(manifest).path("arguments").forEach(a -> args.add(a.asText()));
    return args;
  }

  /**
   * The arguments with each s3a:// URI replaced by its local stand-in; every s3a:// URI in them
   * must be in the map, so a new URI in a manifest needs a stand-in here.
   */
  private static List<String> substituted(List<String> args, Map<String, Path> standIns) {
    List<String> out = new ArrayList<>();
    for (String arg : args) {
      if (arg.startsWith("s3a://")) {
        assertThat(standIns).as("a local stand-in for %s", arg).containsKey(arg);
        out.add(standIns.get(arg).toString());
      } else {
        out.add(arg);
      }
    }
    return out;
  }

  /** Every key matching SECRET_KEY with a plain value, and every env entry naming one. */
  private static void collectInlineSecrets(JsonNode node, String path, List<String> found) {
    if (node.isObject()) {
      if (node.has("name") && node.has("value") && node.path("value").isValueNode()) {
        if (SECRET_KEY.matcher(node.path("name").asText()).find()) {
          found.add(path + " (env " + node.path("name").asText() + ")");
        }
      }
      node.properties()
          .forEach(
              e -> {
                if (SECRET_KEY.matcher(e.getKey()).find() && e.getValue().isValueNode()) {
                  found.add(path + "." + e.getKey());
                }
                collectInlineSecrets(e.getValue(), path + "." + e.getKey(), found);
              });
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        collectInlineSecrets(node.get(i), path + "[" + i + "]", found);
      }
    } else if (node.isTextual() && node.asText().matches("(?i).*(secret|access).?key=.*")) {
      found.add(path + " (a key=value argument)");
    }
  }

  @Test
  void theManifestsAreSparkOperatorApplicationsOfTheJob() throws Exception {
    JsonNode unlearn = unlearn();
    assertThat(unlearn.path("apiVersion").asText()).as("unlearn apiVersion").isEqualTo(API_VERSION);
    assertThat(unlearn.path("kind").asText()).as("unlearn kind").isEqualTo("SparkApplication");
    JsonNode sweep = sweep();
    assertThat(sweep.path("apiVersion").asText()).as("sweep apiVersion").isEqualTo(API_VERSION);
    assertThat(sweep.path("kind").asText()).as("sweep kind").isEqualTo("ScheduledSparkApplication");
    assertThat(sweep.path("spec").path("concurrencyPolicy").asText())
        .as("a sweep never runs while another does")
        .isEqualTo("Forbid");
    assertThat(sweep.path("spec").path("schedule").asText()).as("sweep schedule").isNotBlank();
    for (JsonNode manifest : List.of(unlearn, sweep)) {
      JsonNode app = application(manifest);
      String name = manifest.path("kind").asText();
      assertThat(app.path("type").asText()).as("%s type", name).isEqualTo("Java");
      assertThat(app.path("mode").asText()).as("%s mode", name).isEqualTo("cluster");
      assertThat(app.path("mainClass").asText())
          .as("%s mainClass", name)
          .isEqualTo(LetheMain.class.getName());
      assertThat(app.path("mainApplicationFile").asText())
          .as("%s jar, where the Dockerfile puts it", name)
          .isEqualTo("local://" + JAR);
      assertThat(arguments(manifest).get(0))
          .as("%s command", name)
          .isEqualTo(name.equals("SparkApplication") ? "unlearn" : "sweep");
      assertThat(arguments(manifest)).as("%s writes a report", name).contains("--report");
      for (String role : List.of("driver", "executor")) {
        assertThat(app.path(role).path("envFrom").findValuesAsText("name"))
            .as("%s %s credentials from the Secret", name, role)
            .containsExactly("lethe-s3");
      }
    }
    assertThat(arguments(unlearn)).as("an unlearn names its run").contains("--run-id");
  }

  @Test
  void noCredentialIsWrittenInline() throws Exception {
    for (String name :
        List.of("sparkapplication-unlearn.yaml", "scheduledsparkapplication-sweep.yaml")) {
      List<String> found = new ArrayList<>();
      collectInlineSecrets(manifest(name), "", found);
      assertThat(found).as("inline credentials in %s", name).isEmpty();
    }
    List<String> planted = new ArrayList<>();
    collectInlineSecrets(
        YAML.readTree(
            "sparkConf: {spark.hadoop.fs.s3a.secret.key: abc}\n"
                + "env: [{name: AWS_SECRET_ACCESS_KEY, value: abc}]\n"
                + "envFrom: [{secretRef: {name: s}}]\n"),
        "",
        planted);
    assertThat(planted).as("what the check finds in a planted manifest").hasSize(2);
  }

  @Test
  void theSparkConfHasOnlyLetheSettingsTheJobKnows() throws Exception {
    for (JsonNode manifest : List.of(unlearn(), sweep())) {
      Map<String, String> conf = new LinkedHashMap<>();
      application(manifest)
          .path("sparkConf")
          .properties()
          .forEach(e -> conf.put(e.getKey(), e.getValue().asText()));
      assertThat(conf).as("sparkConf of %s", manifest.path("kind").asText()).isNotEmpty();
      LetheConf.from(conf);
    }
  }

  @Test
  void theImageIsOnTheOfficialSparkImageOfThePomsVersionAndWarmsLibtorchAsNonRoot()
      throws Exception {
    String pom = Files.readString(JobFixtures.repo().resolve("pom.xml"));
    Matcher version = Pattern.compile("<spark.version>([^<]+)</spark.version>").matcher(pom);
    assertThat(version.find()).as("spark.version in the pom").isTrue();
    String dockerfile = Files.readString(k8sDir().resolve("Dockerfile"));
    assertThat(dockerfile)
        .as("Dockerfile")
        .contains(
            "FROM apache/spark:" + version.group(1) + "-scala2.13-java17-ubuntu",
            "DJL_CACHE_DIR=/opt/lethe/djl-cache",
            "ENGINE_CACHE_DIR=/opt/lethe/djl-cache",
            JAR,
            "dev.lethe.job.LetheMain",
            " evaluate ");
    List<String> users =
        dockerfile
            .lines()
            .filter(l -> l.startsWith("USER "))
            .map(l -> l.substring(5).trim())
            .toList();
    assertThat(users).as("USER lines").isNotEmpty();
    assertThat(users.get(users.size() - 1)).as("the image's user").isNotIn("root", "0");
    List<String> ignore = Files.readAllLines(k8sDir().resolve("Dockerfile.dockerignore"));
    for (String source : copySources(dockerfile)) {
      assertThat(ignore)
          .as("Dockerfile.dockerignore lets %s into the context", source)
          .contains("!" + source);
      if (!source.startsWith("job/target/")) {
        assertThat(JobFixtures.repo().resolve(source)).as("what the Dockerfile copies").exists();
      }
    }
    for (JsonNode manifest : List.of(unlearn(), sweep())) {
      assertThat(application(manifest).path("sparkVersion").asText())
          .as("sparkVersion of %s", manifest.path("kind").asText())
          .isEqualTo(version.group(1));
    }
  }

  /** The sources of the Dockerfile's COPY instructions (continued lines joined; no flags). */
  private static List<String> copySources(String dockerfile) {
    List<String> sources = new ArrayList<>();
    String joined = dockerfile.replace("\\\n", " ");
    for (String line : joined.lines().toList()) {
      if (line.startsWith("COPY ")) {
        List<String> words =
            new ArrayList<>(
                List.of(line.substring(5).trim().split("\\s+")).stream()
                    .filter(w -> !w.startsWith("--"))
                    .toList());
        words.remove(words.size() - 1);
        sources.addAll(words);
      }
    }
    assertThat(sources).as("COPY sources in the Dockerfile").isNotEmpty();
    return sources;
  }

  /**
   * The image's warm-up (the {@code lethe evaluate} the Dockerfile runs at build time so that DJL
   * unpacks libtorch) with its fixture paths in /opt/lethe/warm-up/ mapped to the repository's: it
   * must succeed, or the image build would fail.
   */
  @Test
  void theImagesWarmUpRunSucceedsOnTheFixtures() throws Exception {
    String joined = Files.readString(k8sDir().resolve("Dockerfile")).replace("\\\n", " ");
    Matcher run =
        Pattern.compile(Pattern.quote(JAR) + "\\s+(evaluate\\s.*?)\\s*&&").matcher(joined);
    assertThat(run.find()).as("the warm-up run in the Dockerfile").isTrue();
    List<String> args = new ArrayList<>();
    for (String word : run.group(1).trim().split("\\s+")) {
      args.add(word.replace("/opt/lethe/warm-up/", JobFixtures.DIR + "/"));
    }
    CliRun warmUp = JobFixtures.cli(args.toArray(String[]::new));
    assertThat(warmUp.exitCode())
        .as("warm-up %s\nstdout:\n%s\nstderr:\n%s", args, warmUp.stdout(), warmUp.stderr())
        .isZero();
    assertThat(warmUp.summary().path("command").asText())
        .as("warm-up command")
        .isEqualTo("evaluate");
  }

  @Test
  void theUnlearnManifestsArgumentsPlanARunAndWriteNothing() throws Exception {
    Path out = tmp.resolve("out");
    Map<String, Path> standIns = new LinkedHashMap<>();
    standIns.put("s3a://lethe-models/fashion/fashion-resnet18-w16.pt", JobFixtures.cnn());
    standIns.put(
        "s3a://lethe-data/fashion-mnist/train-images-idx3-ubyte.gz", JobFixtures.trainImages());
    standIns.put(
        "s3a://lethe-data/fashion-mnist/t10k-images-idx3-ubyte.gz", JobFixtures.testImages());
    standIns.put("s3a://lethe-models/unlearned", out);
    standIns.put("s3a://lethe-ops/reports/unlearn-r-001.json", tmp.resolve("report.json"));
    List<String> args = new ArrayList<>(substituted(arguments(unlearn()), standIns));
    // The manifest names Fashion-MNIST ids; the digits stand-in's ids are digits/N.
    int ids = args.indexOf("--forget-ids");
    assertThat(ids).as("--forget-ids in the manifest").isPositive();
    args.set(ids + 1, "digits/5,digits/40");
    // 1,000 held-out images of the 500 digits test images would leave none to test on.
    int heldOut = args.indexOf("--held-out-from-test");
    args.set(heldOut + 1, "100");
    DeployChecks.dryRunPlans(args, out);
  }

  @Test
  void theSweepManifestsArgumentsPlanARunAndWriteNothing() throws Exception {
    Path out = tmp.resolve("out");
    Path ledger = tmp.resolve("ledger");
    Path requests = Files.createDirectories(tmp.resolve("requests"));
    Files.writeString(
        requests.resolve("a.jsonl"),
        "{\"request_id\": \"r-001\", \"sample_ids\": [\"digits/5\", \"digits/40\"]}\n");
    Path subjects = tmp.resolve("subjects.csv");
    Files.writeString(subjects, "subject,id\nu1,digits/0\n");
    Map<String, Path> standIns = new LinkedHashMap<>();
    standIns.put("s3a://lethe-ops/requests/", requests);
    standIns.put("s3a://lethe-ops/ledger", ledger);
    standIns.put(
        "s3a://lethe-data/fashion-mnist/train-images-idx3-ubyte.gz", JobFixtures.trainImages());
    standIns.put("s3a://lethe-ops/subjects.csv", subjects);
    standIns.put("s3a://lethe-models/fashion/fashion-resnet18-w16.pt", JobFixtures.cnn());
    standIns.put("s3a://lethe-models/unlearned", out);
    standIns.put(
        "s3a://lethe-data/fashion-mnist/t10k-images-idx3-ubyte.gz", JobFixtures.testImages());
    standIns.put("s3a://lethe-ops/reports/sweep-last.json", tmp.resolve("report.json"));
    List<String> args = new ArrayList<>(substituted(arguments(sweep()), standIns));
    int heldOut = args.indexOf("--held-out-from-test");
    args.set(heldOut + 1, "100");
    DeployChecks.dryRunPlans(args, out, ledger);
  }

  @Test
  void theManifestsArgumentsParseWithoutDryRun() throws Exception {
    for (JsonNode manifest : List.of(unlearn(), sweep())) {
      List<String> args = new ArrayList<>(arguments(manifest));
      int report = args.indexOf("--report");
      // Without --report: this check of the parser alone does not depend on the change that adds
      // --report and --dry-run; the dry-run tests above run the whole list.
      args.remove(report + 1);
      args.remove(report);
      DeployChecks.parsesAndValidates(args);
    }
  }
}
