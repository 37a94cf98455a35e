package dev.lethe.job.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.data.ImageShape;
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

  /** The command that a command line (words separated by single spaces) parses to. */
  private static <T> T parse(Class<T> type, String line) {
    return type.cast(
        LetheCommand.commandLine()
            .parseArgs(ArgumentFiles.read(line.split(" ")))
            .subcommand()
            .commandSpec()
            .userObject());
  }

  @Test
  void acceptsSpaceAndEqualsForms() {
    EvaluateCommand evaluate =
        parse(
            EvaluateCommand.class,
            "evaluate --model m.pt --data=d --limit=5 --input-shape 3,32,32");

    assertThat(evaluate.model).as("--model").isEqualTo("m.pt");
    assertThat(evaluate.data).as("--data").isEqualTo("d");
    assertThat(new OptionValues("evaluate").positiveInt("--limit", evaluate.limit))
        .as("--limit")
        .contains(5);
    assertThat(evaluate.inputShape).as("--input-shape").isEqualTo("3,32,32");
    assertThat(new OptionValues("evaluate").imageShape("--input-shape", "3, 32,32"))
        .as("an image shape with spaces")
        .contains(new ImageShape(3, 32, 32));
  }

  @Test
  void rejectsAnInputShapeLargerThanLetheReadsNamingTheOption() {
    assertUsage(
        "Cannot run evaluate: option --input-shape is '1,100000,100000'; give at most 4096x4096"
            + " pixels (height x width) and 64 channels, e.g. 1,28,28",
        "evaluate --model m.pt --data d --input-shape 1,100000,100000");
  }

  @Test
  void forgetIdsComeFromAnAtFile() throws Exception {
    Path ids = tmp.resolve("ids.txt");
    Files.writeString(ids, "# the rows to forget\ndigits/0\ndigits/37, digits/74\n");
    Path options = tmp.resolve("options.txt");
    Files.writeString(options, "--forget-ids digits/1,digits/2\n--run-id from-a-file\n");

    String base = "unlearn --model m --forget f --out o ";
    UnlearnCommand fromIds = parse(UnlearnCommand.class, base + "--forget-ids @" + ids);
    UnlearnCommand fromOptions = parse(UnlearnCommand.class, base + "@" + options);

    assertThat(fromIds.inputs.forgetIds())
        .as("ids one per line or comma-separated, comments skipped")
        .containsExactly("digits/0", "digits/37", "digits/74");
    assertThat(fromOptions.inputs.forgetIds())
        .as("options in a file")
        .containsExactly("digits/1", "digits/2");
    assertThat(fromOptions.runId).as("--run-id from the file").isEqualTo("from-a-file");
  }

  @Test
  void anIdFileHoldsOneIdPerLineSpacesIncluded() throws Exception {
    // An image folder's ids are its relative paths, and file names often hold spaces.
    Path ids = tmp.resolve("photo-ids.txt");
    Files.writeString(
        ids,
        "\uFEFFcat/IMG 0001.jpg\r\n  dog/my dog.png  \r\n\"bird/quoted name.png\"\r\n\r\n"
            + "# a comment\r\nfish/a.png, fish/b.png\r\n");
    String base = "unlearn --model m --forget f --out o ";

    UnlearnCommand spaced = parse(UnlearnCommand.class, base + "--forget-ids @" + ids);
    UnlearnCommand equalsForm = parse(UnlearnCommand.class, base + "--forget-ids=@" + ids);
    UnlearnCommand mixed =
        parse(UnlearnCommand.class, base + "--forget-ids @" + ids + " horse/1.png --seed 3");

    assertThat(spaced.inputs.forgetIds())
        .as("one id per line, spaces kept, quotes and commas as before")
        .containsExactly(
            "cat/IMG 0001.jpg",
            "dog/my dog.png",
            "bird/quoted name.png",
            "fish/a.png",
            "fish/b.png");
    assertThat(equalsForm.inputs.forgetIds()).isEqualTo(spaced.inputs.forgetIds());
    assertThat(mixed.inputs.forgetIds())
        .as("a file and an id after it")
        .endsWith("fish/b.png", "horse/1.png")
        .hasSize(6);
    assertThat(mixed.seed).as("the option after the ids").isEqualTo("3");
  }

  @Test
  void rejectsAnOptionGivenTwice() {
    assertUsage(
        "Cannot run evaluate: option --model is given twice; give it once",
        "evaluate --model a --model=b --data d");
  }

  @Test
  void rejectsStrayArguments() {
    assertUsage(
        "Cannot run evaluate: unexpected argument extra; the options are --model",
        "evaluate --model a --data d extra");
  }

  @Test
  void rejectsZeroAndNonNumbers() {
    assertUsage(
        "Cannot run evaluate: option --limit is '0'; give a whole number of 1 or more",
        "evaluate --model a --data d --limit 0");
  }

  @Test
  void exclusiveOptionsNameBoth() {
    String base = "unlearn --model m --forget f --out o ";
    assertUsage(
        "Cannot run unlearn: options --sample and --forget-ids exclude each other; give one",
        base + "--forget-ids a --sample 3");
    assertUsage(
        "Cannot run unlearn: options --targeted and --target-class exclude each other; give one",
        base + "--target-class 1 --targeted");
  }

  @Test
  void methodScrubIsParsedAndTakesNoTarget() {
    String base = "unlearn --model m --forget f --out o ";
    assertUsage(
        "Cannot run unlearn: option --method: Cannot use method 'scrubs': choose one of neggrad,"
            + " adv, l2ul, retain, random-label, salun, scrub",
        base + "--method scrubs");
    assertUsage(
        "Cannot run unlearn: option --method scrub takes no target: it moves the forget set away"
            + " from the original outputs, toward no class; drop --targeted or choose another"
            + " method",
        base + "--method scrub --targeted");
    assertUsage(
        "Cannot run unlearn: option --method scrub takes no target: it moves the forget set away"
            + " from the original outputs, toward no class; drop --target-class 2 or choose"
            + " another method",
        base + "--method SCRUB --target-class 2");
  }

  @Test
  void publishGatesNeedTheirDataAndPointsOfZeroOrMore() {
    String base = "unlearn --model m --forget f --out o ";
    assertUsage(
        "Cannot run unlearn: option --max-retain-drop needs --retain; give --retain URI",
        base + "--max-retain-drop 1");
    assertUsage(
        "Cannot run unlearn: option --max-test-drop needs --test; give --test URI",
        base + "--retain r --max-test-drop 1 --max-retain-drop 1");
    for (String points : List.of("-1", "NaN", "Infinity", "inf", "three")) {
      assertUsage(
          "Cannot run unlearn: option --max-retain-drop is '"
              + points
              + "'; give percentage points, 0 or more",
          base + "--retain r --max-retain-drop " + points);
      assertUsage(
          "Cannot run unlearn: option --max-test-drop is '"
              + points
              + "'; give percentage points, 0 or more",
          base + "--test t --max-test-drop " + points);
    }
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

  /** Runs the command line, which must exit 2 printing {@code message} and the JSON line. */
  private static void assertUsage(String message, String line) {
    CliRun run = JobFixtures.cli(line.split(" "));

    assertThat(run.exitCode()).as("exit code of %s", line).isEqualTo(2);
    assertThat(run.stderr()).as("message of %s", line).startsWith(message);
    assertThat(run.summary().get("exit_code").asInt()).as("exit code in JSON").isEqualTo(2);
  }
}
