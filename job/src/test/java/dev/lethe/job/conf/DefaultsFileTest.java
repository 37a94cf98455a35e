package dev.lethe.job.conf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.job.JobFixtures;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.TuningTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * conf/lethe-defaults.conf documents the tuning keys with comments that come from lethe-common's
 * table (TuningTable.confComments), so that adding or changing a key cannot leave the file behind.
 */
class DefaultsFileTest {

  static final String BEGIN = "# BEGIN tuning keys (TuningTable.confComments; do not edit by hand)";
  static final String END = "# END tuning keys";

  @Test
  void tuningKeyCommentsAreTheTablesOwn() throws Exception {
    Path file = JobFixtures.repo().resolve("conf/lethe-defaults.conf");
    List<String> lines = Files.readAllLines(file);
    int begin = lines.indexOf(BEGIN);
    int end = lines.indexOf(END);
    assertThat(begin).as("line '%s' in %s", BEGIN, file).isNotNegative();
    assertThat(end).as("line '%s' after the begin line in %s", END, file).isGreaterThan(begin);
    List<String> expected = TuningTable.confComments(Goal.MISCLASSIFY);
    assertThat(lines.subList(begin + 1, end))
        .as(
            "the tuning keys block of %s; replace it with:%n%s",
            file, String.join(System.lineSeparator(), expected))
        .containsExactlyElementsOf(expected);
  }
}
