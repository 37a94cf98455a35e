package dev.lethe.job.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import dev.lethe.job.cli.JobCommand;
import dev.lethe.job.cli.LetheCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What the deployment tests (Airflow DAGs, Kubernetes manifests) share: an argument list checked
 * against the real job, once by its parser alone and once by {@code --dry-run}.
 */
final class DeployChecks {

  private DeployChecks() {}

  /** deploy/ in the repository. */
  static Path deployDir() {
    return JobFixtures.repo().resolve("deploy");
  }

  /**
   * Parses the arguments with the job's command line and validates them without Spark, as {@code
   * LetheMain} does first: an unknown option or a malformed value fails here.
   */
  static void parsesAndValidates(List<String> args) {
    Object command =
        LetheCommand.commandLine()
            .parseArgs(args.toArray(String[]::new))
            .subcommand()
            .commandSpec()
            .userObject();
    assertThat(command).as("command of %s", args).isInstanceOf(JobCommand.class);
    ((JobCommand) command).validate();
  }

  /**
   * Runs the arguments plus {@code --dry-run} in-process and checks the plan: exit 0, the last line
   * {@code {"status":"ok","command":...,"dry_run":true}}, and nothing written under {@code
   * untouched} (each folder either absent or empty).
   */
  static JsonNode dryRunPlans(List<String> args, Path... untouched) throws IOException {
    List<String> withDryRun = new ArrayList<>(args);
    withDryRun.add("--dry-run");
    CliRun run = JobFixtures.cli(withDryRun.toArray(String[]::new));
    assertThat(run.exitCode())
        .as("exit code of %s\nstdout:\n%s\nstderr:\n%s", withDryRun, run.stdout(), run.stderr())
        .isZero();
    JsonNode plan = run.summary();
    assertThat(plan.path("status").asText()).as("status of the plan: %s", plan).isEqualTo("ok");
    assertThat(plan.path("command").asText()).as("command: %s", plan).isEqualTo(args.get(0));
    assertThat(plan.path("dry_run").asBoolean(false)).as("dry_run: %s", plan).isTrue();
    for (Path folder : untouched) {
      if (Files.exists(folder)) {
        try (Stream<Path> files = Files.walk(folder)) {
          assertThat(files.filter(p -> !p.equals(folder)).toList())
              .as("what --dry-run wrote under %s", folder)
              .isEmpty();
        }
      }
    }
    return plan;
  }
}
