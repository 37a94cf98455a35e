package dev.lethe.job.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lethe.data.ImageShape;
import dev.lethe.job.failure.UsageException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ParsedOptionsTest {

  private static final List<OptionSpec> SPECS =
      List.of(
          new OptionSpec("--model", "URI", null, "model"),
          new OptionSpec("--limit", "N", "all", "limit"),
          new OptionSpec("--input-shape", "C,H,W", "sidecar", "shape"));

  @Test
  void acceptsSpaceAndEqualsForms() {
    ParsedOptions options =
        ParsedOptions.parse("test", SPECS, List.of("--model", "m.pt", "--limit=5"));

    assertThat(options.required("--model")).as("--model").isEqualTo("m.pt");
    assertThat(options.positiveInt("--limit")).as("--limit").contains(5);
    assertThat(options.imageShape("--input-shape")).as("--input-shape").isEmpty();
  }

  @Test
  void parsesImageShapes() {
    ParsedOptions options =
        ParsedOptions.parse("test", SPECS, List.of("--model", "m", "--input-shape", "3, 32,32"));

    assertThat(options.imageShape("--input-shape"))
        .as("--input-shape")
        .contains(new ImageShape(3, 32, 32));
  }

  @Test
  void rejectsAnOptionGivenTwice() {
    assertThatThrownBy(
            () -> ParsedOptions.parse("test", SPECS, List.of("--model", "a", "--model=b")))
        .as("duplicate")
        .isInstanceOf(UsageException.class)
        .hasMessage("Cannot run test: option --model is given twice; give it once");
  }

  @Test
  void rejectsStrayArguments() {
    assertThatThrownBy(() -> ParsedOptions.parse("test", SPECS, List.of("--model", "a", "extra")))
        .as("stray argument")
        .isInstanceOf(UsageException.class)
        .hasMessageStartingWith("Cannot run test: unexpected argument extra; the options are");
  }

  @Test
  void rejectsZeroAndNonNumbers() {
    ParsedOptions options =
        ParsedOptions.parse("test", SPECS, List.of("--model", "a", "--limit", "0"));

    assertThatThrownBy(() -> options.positiveInt("--limit"))
        .as("zero")
        .isInstanceOf(UsageException.class)
        .hasMessage("Cannot run test: option --limit is '0'; give a whole number of 1 or more");
  }
}
