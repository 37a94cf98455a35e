package dev.lethe.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lethe.data.Sample;
import dev.lethe.model.SpecResolver;
import dev.lethe.testing.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark's gold-standard modes (issue 16): the forget set as indices for the retraining, and
 * the measurement of a model with nothing unlearned, on the digits fixtures.
 */
class GoldStandardTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The benchmark's arguments for the digits fixtures, 100 held-out test images, k = 8. */
  private static List<String> digits(Path model, Path out, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--model", model.toString(),
                "--data", Fixtures.path("digits-train-images-idx3-ubyte.gz").getParent().toString(),
                "--train-prefix", "digits-train",
                "--test-prefix", "digits-test",
                "--held-out", "100",
                "--k", "8",
                "--out", out.toString()));
    args.addAll(List.of(more));
    return args;
  }

  private static List<JsonNode> run(List<String> args, Path out) throws IOException {
    UnlearnBenchmark.main(args.toArray(String[]::new));
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(out)) {
      lines.add(JSON.readTree(line));
    }
    return lines;
  }

  @Test
  void printForgetIdsPrintsTheIndicesOfTheBenchmarksForgetSet(@TempDir Path dir)
      throws IOException {
    PrintStream stdout = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      UnlearnBenchmark.main(
          digits(Fixtures.cnn(), dir.resolve("none.jsonl"), "--seeds", "1", "--print-forget-ids")
              .toArray(String[]::new));
    } finally {
      System.setOut(stdout);
    }
    List<String> printed = captured.toString(StandardCharsets.UTF_8).lines().toList();
    List<String> expected = new ArrayList<>();
    for (Sample s : UnlearnBenchmark.randomInstances(Fixtures.train(), 8, 1)) {
      expected.add(s.id().replace("train/", ""));
    }
    assertThat(printed).hasSize(8).isEqualTo(expected);
    assertThat(printed).isSortedAccordingTo((x, y) -> Integer.parseInt(x) - Integer.parseInt(y));
  }

  @Test
  void printForgetIdsTakesOneKAndOneSeed(@TempDir Path dir) {
    assertThatThrownBy(
            () ->
                UnlearnBenchmark.main(
                    digits(
                            Fixtures.cnn(),
                            dir.resolve("none.jsonl"),
                            "--seeds",
                            "0,1",
                            "--print-forget-ids")
                        .toArray(String[]::new)))
        .hasMessage("Cannot print the forget ids of --k 8 --seeds 0,1: give one k and one seed");
  }

  @Test
  void evaluateOnlyMeasuresWhatARunMeasuresBeforeItUnlearns(@TempDir Path dir) throws IOException {
    for (String give : List.of("true", "false")) {
      Path runs = dir.resolve("runs-" + give + ".jsonl");
      JsonNode unlearned =
          run(
                  digits(
                      Fixtures.cnn(),
                      runs,
                      "--methods",
                      "neggrad",
                      "--presets",
                      "paper",
                      "--give-held-out",
                      give),
                  runs)
              .get(0);
      Path gold = dir.resolve("gold-" + give + ".jsonl");
      JsonNode original =
          run(
                  digits(
                      Fixtures.cnn(),
                      gold,
                      "--evaluate-only",
                      "original",
                      "--as-model",
                      "digits",
                      "--give-held-out",
                      give),
                  gold)
              .get(0);
      String why = "held-out sample given: " + give;
      assertThat(original.get("method").asText()).isEqualTo("original");
      assertThat(original.get("status").asText()).isEqualTo("evaluated");
      assertThat(original.get("model").asText()).isEqualTo("digits");
      assertThat(original.get("model_file").asText()).isEqualTo("digits-cnn-bn.pt");
      assertThat(original.get("held_out_given").asBoolean()).isEqualTo(give.equals("true"));
      assertThat(original.get("k").asInt()).isEqualTo(8);
      assertThat(original.get("seed").asInt()).isZero();
      assertThat(original.at("/forget/accuracy").asDouble())
          .as(why)
          .isEqualTo(unlearned.at("/forget/accuracy_before").asDouble());
      assertThat(original.at("/test/accuracy").asDouble())
          .as(why)
          .isEqualTo(unlearned.at("/test/accuracy_before").asDouble());
      assertThat(original.at("/test/size").asInt()).isEqualTo(400);
      assertThat(original.at("/mia/accuracy").asDouble())
          .as(why)
          .isEqualTo(unlearned.at("/mia/accuracy_before").asDouble());
      assertThat(original.at("/mia/auc").asDouble())
          .as(why)
          .isEqualTo(unlearned.at("/mia/auc_before").asDouble());
      // the unlearned model changed: the two lines measured different things after
      assertThat(unlearned.at("/forget/accuracy_after").asDouble()).isZero();
      assertThat(original.at("/forget/accuracy").asDouble()).isPositive();
    }
  }

  @Test
  void aHeldOutSampleLargerThanItsDataSetIsRefusedByName(@TempDir Path dir) {
    List<String> args = digits(Fixtures.cnn(), dir.resolve("none.jsonl"), "--evaluate-only", "x");
    args.set(args.indexOf("--held-out") + 1, "500");
    assertThatThrownBy(() -> UnlearnBenchmark.main(args.toArray(String[]::new)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Cannot use --held-out 500: ")
        .hasMessageContaining(" has 500 digits-test images, and the test accuracy needs the ones")
        .hasMessageEndingWith("give --held-out between 1 and 499");
    assertThat(dir.resolve("none.jsonl")).doesNotExist();
  }

  @Test
  void evaluateOnlyRecordsTheSizeOfAHeldOutSampleOtherThanTheDefault(@TempDir Path dir)
      throws IOException {
    Path out = dir.resolve("gold.jsonl");
    JsonNode line = run(digits(Fixtures.cnn(), out, "--evaluate-only", "original"), out).get(0);
    assertThat(line.get("held_out_size").asInt()).isEqualTo(100);
    assertThat(line.has("held_out_data")).isFalse();
    assertThat(line.at("/test/size").asInt()).isEqualTo(400);
    Path none = dir.resolve("none.jsonl");
    JsonNode without =
        run(
                digits(
                    Fixtures.cnn(),
                    none,
                    "--evaluate-only",
                    "original",
                    "--give-held-out",
                    "false"),
                none)
            .get(0);
    assertThat(without.has("held_out_size")).isFalse();
  }

  @Test
  void evaluateOnlyRetrainedNeedsTheSidecarsExcludedIndicesToBeTheForgetSet(@TempDir Path dir)
      throws IOException {
    Path model = dir.resolve("digits-k8-seed0.pt");
    Files.copy(Fixtures.cnn(), model);
    ObjectNode sidecar =
        (ObjectNode) JSON.readTree(Fixtures.path("digits-cnn-bn.lethe.json").toFile());
    List<Integer> ids = new ArrayList<>();
    for (Sample s : UnlearnBenchmark.randomInstances(Fixtures.train(), 8, 0)) {
      ids.add(Integer.parseInt(s.id().replace("train/", "")));
    }
    sidecar.putObject("training").set("excluded_train_indices", JSON.valueToTree(ids));
    Files.writeString(SpecResolver.sidecarPath(model), sidecar.toString());
    Path out = dir.resolve("gold.jsonl");

    List<JsonNode> lines =
        run(digits(model, out, "--evaluate-only", "retrained", "--as-model", "digits"), out);
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0).get("method").asText()).isEqualTo("retrained");
    assertThat(lines.get(0).get("model").asText()).isEqualTo("digits");
    assertThat(lines.get(0).at("/forget/size").asInt()).isEqualTo(8);

    assertThatThrownBy(
            () ->
                UnlearnBenchmark.main(
                    digits(model, out, "--seeds", "1", "--evaluate-only", "retrained")
                        .toArray(String[]::new)))
        .hasMessage(
            "Cannot evaluate --model "
                + model
                + " for --k 8 --seeds 1: it was trained without 8 other training images"
                + " (training.excluded_train_indices of digits-k8-seed0.lethe.json); give the k and"
                + " seed it was retrained for, or retrain it with deploy/python/train_demo_model.py"
                + " --exclude FILE, FILE from UnlearnBenchmark --print-forget-ids --k 8 --seeds 1");
    assertThatThrownBy(
            () ->
                UnlearnBenchmark.main(
                    digits(Fixtures.cnn(), out, "--evaluate-only", "retrained")
                        .toArray(String[]::new)))
        .hasMessage(
            "Cannot evaluate --model "
                + Fixtures.cnn()
                + " as --evaluate-only retrained: its sidecar digits-cnn-bn.lethe.json lists no"
                + " training.excluded_train_indices; retrain it with"
                + " deploy/python/train_demo_model.py --exclude FILE, FILE from UnlearnBenchmark"
                + " --print-forget-ids --k 8 --seeds 0");
    try (Stream<String> kept = Files.lines(out)) {
      assertThat(kept.count()).as("a refused model writes no line").isEqualTo(1);
    }
  }
}
