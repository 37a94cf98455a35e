package dev.lethe.job.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import dev.lethe.unlearn.TuningOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as picocli parses it, without Spark: both option forms, @-files, exclusive
 * options, and the messages of malformed command lines.
 */
class CommandLineTest {

  @TempDir Path tmp;

  private static <T> T parse(Class<T> type, String... args) {
    return type.cast(
        LetheCommand.commandLine().parseArgs(args).subcommand().commandSpec().userObject());
  }

  @Test
  void acceptsSpaceAndEqualsForms() {
    EvaluateCommand evaluate =
        parse(
            EvaluateCommand.class,
            "evaluate",
            "--model",
            "m.pt",
            "--data=d",
            "--limit=5",
            "--input-shape",
            "3, 32,32");

    assertThat(evaluate.model).as("--model").isEqualTo("m.pt");
    assertThat(evaluate.data).as("--data").isEqualTo("d");
    assertThat(new OptionValues("evaluate").positiveInt("--limit", evaluate.limit))
        .as("--limit")
        .contains(5);
    assertThat(evaluate.inputShape).as("--input-shape").isEqualTo("3, 32,32");
  }

  @Test
  void forgetIdsComeFromAnAtFile() throws Exception {
    Path ids = tmp.resolve("ids.txt");
    Files.writeString(ids, "# the rows to forget\ndigits/0\ndigits/37, digits/74\n");
    Path options = tmp.resolve("options.txt");
    Files.writeString(options, "--forget-ids digits/1,digits/2\n--run-id from-a-file\n");

    UnlearnCommand fromIds =
        parse(
            UnlearnCommand.class,
            "unlearn",
            "--model",
            "m",
            "--forget",
            "f",
            "--out",
            "o",
            "--forget-ids",
            "@" + ids);
    UnlearnCommand fromOptions =
        parse(
            UnlearnCommand.class,
            "unlearn",
            "--model",
            "m",
            "--forget",
            "f",
            "--out",
            "o",
            "@" + options);

    assertThat(fromIds.inputs.forgetIds())
        .as("ids one per line or comma-separated, comments skipped")
        .containsExactly("digits/0", "digits/37", "digits/74");
    assertThat(fromOptions.inputs.forgetIds())
        .as("options in a file")
        .containsExactly("digits/1", "digits/2");
    assertThat(fromOptions.runId).as("--run-id from the file").isEqualTo("from-a-file");
  }

  @Test
  void rejectsAnOptionGivenTwice() {
    CliRun run = JobFixtures.cli("evaluate", "--model", "a", "--model=b", "--data", "d");

    assertThat(run.exitCode()).as("exit code").isEqualTo(2);
    assertThat(run.stderr())
        .as("message")
        .startsWith("Cannot run evaluate: option --model is given twice; give it once");
  }

  @Test
  void rejectsStrayArguments() {
    CliRun run = JobFixtures.cli("evaluate", "--model", "a", "--data", "d", "extra");

    assertThat(run.exitCode()).as("exit code").isEqualTo(2);
    assertThat(run.stderr())
        .as("message")
        .startsWith("Cannot run evaluate: unexpected argument extra; the options are --model");
  }

  @Test
  void rejectsZeroAndNonNumbers() {
    CliRun run = JobFixtures.cli("evaluate", "--model", "a", "--data", "d", "--limit", "0");

    assertThat(run.exitCode()).as("exit code").isEqualTo(2);
    assertThat(run.stderr())
        .as("message")
        .startsWith("Cannot run evaluate: option --limit is '0'; give a whole number of 1 or more");
    assertThat(run.summary().get("exit_code").asInt()).as("exit code in JSON").isEqualTo(2);
  }

  @Test
  void exclusiveOptionsNameBoth() {
    List<String> base = List.of("unlearn", "--model", "m", "--forget", "f", "--out", "o");
    CliRun rows = JobFixtures.cli(with(base, "--forget-ids", "a", "--sample", "3"));
    CliRun target = JobFixtures.cli(with(base, "--target-class", "1", "--targeted"));

    assertThat(rows.exitCode()).as("exit code for --sample with --forget-ids").isEqualTo(2);
    assertThat(rows.stderr())
        .as("message for --sample with --forget-ids")
        .startsWith(
            "Cannot run unlearn: options --sample and --forget-ids exclude each other; give one");
    assertThat(target.exitCode()).as("exit code for --targeted with --target-class").isEqualTo(2);
    assertThat(target.stderr())
        .as("message for --targeted with --target-class")
        .startsWith(
            "Cannot run unlearn: options --targeted and --target-class exclude each other;"
                + " give one");
  }

  @Test
  void unlearnHelpListsEveryTuningKey() {
    CliRun run = JobFixtures.cli("unlearn", "--help");

    assertThat(run.exitCode()).as("exit code").isZero();
    assertThat(run.stdout())
        .as("unlearn help")
        .contains("usage: lethe unlearn [options]", "unlearn options:", "--set KEY=VALUE...")
        .contains("--forget-ids A,B,..", "--held-out-from-test N", "(default: misclassify)");
    for (String key : TuningOptions.KEYS) {
      assertThat(run.stdout()).as("help lists tuning key %s", key).contains(key);
    }
  }

  private static String[] with(List<String> base, String... more) {
    return java.util.stream.Stream.concat(base.stream(), java.util.Arrays.stream(more))
        .toArray(String[]::new);
  }
}
