package dev.lethe.job.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launchers in deploy/bin as a newcomer meets them: run from a copy of the repository that has
 * never been built (no job/target), they build what they need, say so in one line, and run; a
 * launcher that cannot go on says what failed in one line. A fresh clone once printed nothing and
 * exited 1 here, because `set -e` ended deploy/bin/lethe before its build step; every machine that
 * had built the project hid it. Also: every shell script in the repository is shellcheck-clean.
 */
class LaunchersIT {

  @TempDir static Path tmp;

  /**
   * Folders a fresh clone does not have: build outputs, fetched data, published demo models, the
   * sweep demo's and the sweep benchmark's work folders.
   */
  private static final Set<String> NOT_IN_A_CLONE = Set.of("target", ".git", ".idea");

  private static final Set<String> NOT_IN_A_CLONE_AT_TOP =
      Set.of(
          "data",
          "lethe-out",
          "lethe-sweep-demo",
          "lethe-sweep-128",
          "lethe-scale",
          "lethe-protocol");

  private static final Duration BUILD = Duration.ofMinutes(8);

  @Test
  void everyShellScriptIsShellcheckClean() throws Exception {
    Path repo = JobFixtures.repo();
    List<String> scripts = shellScripts(repo);
    assertThat(scripts)
        .as("shell scripts found in %s", repo)
        .contains(
            "deploy/bin/lethe",
            "deploy/bin/lethe-submit",
            "deploy/bin/make-spark-home",
            "deploy/bin/lib/launcher.sh",
            "deploy/quickstart.sh",
            ".ci/run");
    List<String> command = new ArrayList<>(List.of("shellcheck", "--format=gcc"));
    scripts.forEach(s -> command.add(repo.resolve(s).toString()));
    CliRun run = JobFixtures.process(command, Map.of(), Duration.ofMinutes(2));
    assertThat(run.exitCode())
        .as("shellcheck over %s:\n%s%s", scripts, run.stdout(), run.stderr())
        .isZero();
  }

  @Test
  void launchersBuildWhatTheyNeedOnAFreshCopyAndSayWhatFailed() throws Exception {
    Path copy = copyWithoutBuildOutputs(JobFixtures.repo(), tmp.resolve("lethe"));
    assertThat(copy.resolve("job/target")).as("a fresh copy has no job/target").doesNotExist();
    Path lethe = copy.resolve("deploy/bin/lethe");

    CliRun noMaven =
        JobFixtures.process(
            List.of(lethe.toString(), "--help"),
            Map.of("PATH", pathWithout("mvn").toString()),
            Duration.ofMinutes(1));
    assertThat(noMaven.exitCode()).as("lethe --help without Maven: %s", noMaven.stderr()).isOne();
    assertThat(noMaven.stdout()).as("stdout without Maven").isEmpty();
    assertThat(noMaven.stderr().lines().toList())
        .as("the one line lethe prints without Maven")
        .containsExactly(
            "lethe: mvn is not on PATH; install Maven 3.8 or later (the job is built with"
                + " 'mvn -B -q -DskipTests package')");

    CliRun first = JobFixtures.process(List.of(lethe.toString(), "--help"), Map.of(), BUILD);
    assertThat(first.exitCode()).as("first lethe --help: %s", first.stderr()).isZero();
    assertThat(first.stdout()).as("first lethe --help").startsWith("usage: lethe <command>");
    assertThat(lines(first.stderr(), "lethe:"))
        .as("what the first run says about building (stderr:\n%s)", first.stderr())
        .singleElement()
        .asString()
        .startsWith("lethe: no job jar yet (job/target/lethe-job-*.jar): building the job with");
    try (Stream<Path> jars = Files.list(copy.resolve("job/target"))) {
      assertThat(jars.map(p -> p.getFileName().toString()))
          .as("job/target after the first run")
          .anyMatch(n -> n.startsWith("lethe-job-") && n.endsWith(".jar"));
    }

    CliRun second = JobFixtures.process(List.of(lethe.toString(), "--help"), Map.of(), BUILD);
    assertThat(second.exitCode()).as("second lethe --help: %s", second.stderr()).isZero();
    assertThat(lines(second.stderr(), "lethe:"))
        .as("a built copy runs without building (stderr:\n%s)", second.stderr())
        .isEmpty();

    // A jar of the embedded Spark's classpath gone since the build (a cleaned Maven repository):
    // lethe rebuilds, which lists the jars again, rather than die in a NoClassDefFoundError.
    Path classpath = copy.resolve("job/target/spark-classpath.txt");
    String gone = tmp.resolve("cleaned-repository/x/x-1.jar").toString();
    Files.writeString(classpath, Files.readString(classpath).strip() + ":" + gone);
    CliRun cleaned = JobFixtures.process(List.of(lethe.toString(), "--help"), Map.of(), BUILD);
    assertThat(cleaned.exitCode()).as("lethe --help, a jar gone: %s", cleaned.stderr()).isZero();
    assertThat(lines(cleaned.stderr(), "lethe:"))
        .as("what lethe says when a classpath jar is gone (stderr:\n%s)", cleaned.stderr())
        .singleElement()
        .asString()
        .startsWith(
            "lethe: " + gone + " (on job/target/spark-classpath.txt) is gone: building the job");
    assertThat(Files.readString(classpath)).as("the rebuilt classpath").doesNotContain(gone);

    Path sparkHome = tmp.resolve("spark-home");
    CliRun home =
        JobFixtures.process(
            List.of(copy.resolve("deploy/bin/make-spark-home").toString(), sparkHome.toString()),
            Map.of(),
            BUILD);
    assertThat(home.exitCode()).as("make-spark-home: %s", home.stderr()).isZero();
    assertThat(lines(home.stderr(), "make-spark-home:")).as("make-spark-home's stderr").isEmpty();

    // A source newer than the jar: lethe-submit rebuilds rather than submit yesterday's code.
    Path source = copy.resolve("job/src/main/java/dev/lethe/job/LetheMain.java");
    Files.setLastModifiedTime(source, FileTime.from(Instant.now().plusSeconds(5)));
    CliRun submit =
        JobFixtures.process(
            List.of(
                copy.resolve("deploy/bin/lethe-submit").toString(),
                "--master",
                "local[1]",
                "--",
                "--help"),
            Map.of("SPARK_HOME", sparkHome.toString()),
            BUILD);
    assertThat(submit.exitCode()).as("lethe-submit --help: %s", submit.stderr()).isZero();
    assertThat(submit.stdout()).as("lethe-submit --help").contains("usage: lethe <command>");
    assertThat(lines(submit.stderr(), "lethe-submit:"))
        .as("lethe-submit after a source changed (stderr:\n%s)", submit.stderr())
        .singleElement()
        .asString()
        .startsWith(
            "lethe-submit: job/src/main/java/dev/lethe/job/LetheMain.java is newer than"
                + " lethe-job-");

    // Both launchers read the defaults file as Spark reads a properties file: lethe in the job
    // (-Dlethe.defaults), lethe-submit through spark-submit's --properties-file; --conf wins over
    // it and --set over both, and a planted secret is never printed.
    Path defaults = tmp.resolve("defaults.conf");
    Files.writeString(
        defaults,
        "spark.lethe.learning-rate 0.01\nspark.lethe.max-epochs 50\nspark.lethe.momentum 0.5\n"
            + "spark.hadoop.fs.s3a.secret.key planted-s3cr3t\n");
    List<String> explain = List.of("config", "--explain", "--set", "learning-rate=0.05");
    List<String> embedded = new ArrayList<>(List.of(lethe.toString()));
    embedded.addAll(List.of("--conf", "spark.lethe.max-epochs=60"));
    embedded.addAll(explain);
    CliRun config =
        JobFixtures.process(
            embedded, Map.of("LETHE_DEFAULTS", defaults.toString()), Duration.ofMinutes(2));
    assertThat(config.exitCode()).as("lethe config --explain: %s", config.stderr()).isZero();
    assertThat(config.stdout().lines())
        .as("lethe config --explain")
        .contains(
            "spark.lethe.learning-rate = 0.05    (option)",
            "spark.lethe.max-epochs = 60    (spark conf/properties)",
            "spark.lethe.momentum = 0.5    (defaults file)",
            "spark.hadoop.fs.s3a.secret.key = *****    (defaults file)");
    List<String> submitted =
        new ArrayList<>(
            List.of(
                copy.resolve("deploy/bin/lethe-submit").toString(),
                "--master",
                "local[1]",
                "--conf",
                "spark.lethe.max-epochs=60",
                "--"));
    submitted.addAll(explain);
    CliRun submitConfig =
        JobFixtures.process(
            submitted,
            Map.of("SPARK_HOME", sparkHome.toString(), "LETHE_DEFAULTS", defaults.toString()),
            Duration.ofMinutes(2));
    assertThat(submitConfig.exitCode())
        .as("lethe-submit config --explain: %s", submitConfig.stderr())
        .isZero();
    assertThat(submitConfig.stdout().lines())
        .as("lethe-submit config --explain (the properties file's values are labelled as its)")
        .contains(
            "spark.lethe.learning-rate = 0.05    (option)",
            "spark.lethe.max-epochs = 60    (spark conf/properties)",
            "spark.lethe.momentum = 0.5    (defaults file)",
            "spark.hadoop.fs.s3a.secret.key = *****    (defaults file)");
    for (CliRun run : List.of(config, submitConfig)) {
      assertThat(run.stdout() + run.stderr()).as("output").doesNotContain("planted-s3cr3t");
    }

    CliRun noSpark =
        JobFixtures.process(
            List.of(copy.resolve("deploy/bin/lethe-submit").toString(), "--help"),
            Map.of("SPARK_HOME", tmp.resolve("no-such-spark").toString()),
            Duration.ofMinutes(1));
    assertThat(noSpark.exitCode()).as("lethe-submit without Spark").isEqualTo(2);
    assertThat(noSpark.stderr().lines().toList())
        .as("lethe-submit without Spark")
        .singleElement()
        .asString()
        .startsWith("lethe-submit: set SPARK_HOME to a Spark 4.x (Scala 2.13) installation");
  }

  /**
   * Removes the links to ~/.m2 that make-spark-home made, before JUnit's cleanup warns about each.
   */
  @AfterAll
  static void removeSparkHomeLinks() throws IOException {
    Path jars = tmp.resolve("spark-home/jars");
    if (Files.isDirectory(jars)) {
      try (Stream<Path> links = Files.list(jars)) {
        for (Path link : (Iterable<Path>) links::iterator) {
          Files.delete(link);
        }
      }
    }
  }

  /** Lines of {@code text} that start with {@code prefix}: what a launcher itself printed. */
  private static List<String> lines(String text, String prefix) {
    return text.lines().filter(l -> l.startsWith(prefix)).toList();
  }

  /** Every file under {@code repo} (as a clone has it) that is a shell script, relative paths. */
  private static List<String> shellScripts(Path repo) throws IOException {
    List<String> scripts = new ArrayList<>();
    walkClone(
        repo,
        file -> {
          String name = file.getFileName().toString();
          if (name.endsWith(".sh") || startsWithShellShebang(file)) {
            scripts.add(repo.relativize(file).toString());
          }
        });
    scripts.sort(null);
    return scripts;
  }

  private static boolean startsWithShellShebang(Path file) {
    try (Stream<String> lines = Files.lines(file)) {
      String first = lines.findFirst().orElse("");
      return first.startsWith("#!") && (first.contains("bash") || first.endsWith("/sh"));
    } catch (IOException | UncheckedIOException notText) {
      return false;
    }
  }

  /** Copies {@code repo} to {@code dest} as a fresh clone would have it, modes kept. */
  private static Path copyWithoutBuildOutputs(Path repo, Path dest) throws IOException {
    walkClone(
        repo,
        file -> {
          Path target = dest.resolve(repo.relativize(file).toString());
          Files.createDirectories(target.getParent());
          Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES);
        });
    return dest;
  }

  private interface FileAction {
    void accept(Path file) throws IOException;
  }

  private static void walkClone(Path repo, FileAction action) throws IOException {
    Files.walkFileTree(
        repo,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
            boolean top = repo.equals(dir.getParent());
            if (!dir.equals(repo)
                && (NOT_IN_A_CLONE.contains(name)
                    || (top && NOT_IN_A_CLONE_AT_TOP.contains(name))
                    || name.startsWith(".work-"))) {
              return FileVisitResult.SKIP_SUBTREE;
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            if (attrs.isRegularFile()) {
              action.accept(file);
            }
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /**
   * A PATH of links to every command on this PATH except {@code missing}, as on a machine where
   * that command is not installed.
   */
  private static Path pathWithout(String missing) throws IOException {
    Path bin = Files.createDirectories(tmp.resolve("path-without-" + missing));
    for (String dir : System.getenv("PATH").split(":")) {
      Path folder = Path.of(dir);
      if (dir.isEmpty() || !Files.isDirectory(folder)) {
        continue;
      }
      try (Stream<Path> entries = Files.list(folder)) {
        for (Path entry : (Iterable<Path>) entries::iterator) {
          String name = entry.getFileName().toString();
          Path link = bin.resolve(name);
          if (!name.equals(missing)
              && !Files.exists(link, LinkOption.NOFOLLOW_LINKS)
              && Files.isExecutable(entry)
              && !Files.isDirectory(entry)) {
            Files.createSymbolicLink(link, entry.toAbsolutePath());
          }
        }
      }
    }
    return bin;
  }
}
