package dev.lethe.job.actions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lethe.job.JobFixtures;
import dev.lethe.job.SparkTestBase;
import dev.lethe.job.failure.FailureReason;
import dev.lethe.job.report.LetheVersion;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unlearn action driven directly, without the command line: 8 training digits forgotten with
 * quick PGD settings, asserted on the typed result.
 */
class UnlearnActionTest extends SparkTestBase {

  @TempDir static Path tmp;

  private static final List<String> IDS =
      List.of("digits/0", "digits/37", "digits/74", "digits/111", "digits/148");

  private static UnlearnAction quick(Path out, Map<String, String> extraTuning) {
    Map<String, String> tuning = new LinkedHashMap<>();
    tuning.put("pgd.steps", "20");
    tuning.put("pgd.per-instance", "8");
    tuning.putAll(extraTuning);
    return LetheActions.get(spark)
        .unlearn()
        .model(JobFixtures.cnn().toString())
        .forget(JobFixtures.trainImages().toString())
        .forgetIds(IDS)
        .test(JobFixtures.testImages().toString())
        .heldOutFromTest(100)
        .method(Method.L2UL)
        .goal(Goal.MISCLASSIFY)
        .preset("lethe")
        .tuning(tuning)
        .seed(0)
        .partitions(2)
        .output(out.toString());
  }

  @Test
  void publishesAndReturnsEveryMetricTyped() throws Exception {
    Path out = tmp.resolve("published");
    UnlearnAction.Result result = quick(out, Map.of()).runId("direct").execute();

    assertThat(result.status()).as("status").isEqualTo(UnlearnAction.Status.PUBLISHED);
    assertThat(result.failureReason()).as("no failure reason when published").isNull();
    assertThat(result.error()).as("no error when published").isNull();
    assertThat(result.version()).as("version").endsWith("-direct");
    assertThat(Path.of(result.versionUri())).as("published model").isRegularFile();
    assertThat(Path.of(result.manifestUri())).as("published manifest").isRegularFile();
    assertThat(result.report().parentModelUri())
        .as("parent model")
        .isEqualTo(JobFixtures.cnn().toString());
    assertThat(result.forget().size()).as("forget set size").isEqualTo(IDS.size());
    assertThat(result.forget().accuracyBefore()).as("forget accuracy before").isEqualTo(1.0);
    assertThat(result.forget().accuracyAfter()).as("forget accuracy after").isZero();
    assertThat(result.test().size())
        .as("test accuracy on the test images not drawn as held-out")
        .isEqualTo(JobFixtures.testSamples().size() - 100);
    assertThat(result.test().accuracyAfter()).as("test accuracy after").isGreaterThan(0.8);
    assertThat(result.report().measured().mia()).as("membership inference").isNotNull();
    assertThat(result.report().measured().adversarial().count())
        .as("adversarial examples")
        .isEqualTo(40);
    assertThat(result.steps()).as("fine-tune steps").isPositive();
    assertThat(result.report().measured().epochs()).as("epochs").isPositive();
    assertThat(result.seconds().adversarial()).as("stage A seconds").isPositive();
    assertThat(result.seconds().total())
        .as("total seconds")
        .isGreaterThanOrEqualTo(result.seconds().adversarial());
    assertThat(result.report().measured().settings().get("learning-rate"))
        .as("settings in the report")
        .isNotNull();
    if (Files.exists(Path.of("/proc/self/status"))) {
      assertThat(result.driverPeakRssMib()).as("peak memory on Linux").isPositive();
    }
    assertThat(Files.readString(Path.of(result.manifestUri())))
        .as("the manifest names the real project version")
        .contains("\"lethe\" : \"" + LetheVersion.get() + "\"");
    assertThat(LetheVersion.get()).as("project version").isNotEqualTo("dev").contains(".");
  }

  @Test
  void aMissedGoalIsAResultWithItsReasonAndPublishesNothing() throws Exception {
    Path out = tmp.resolve("missed");
    UnlearnAction.Result result =
        quick(out, Map.of("learning-rate", "1e-9", "max-epochs", "1")).execute();

    assertThat(result.status()).as("status").isEqualTo(UnlearnAction.Status.GOAL_NOT_REACHED);
    assertThat(result.failureReason())
        .as("failure reason")
        .isEqualTo(FailureReason.GOAL_NOT_REACHED);
    assertThat(result.error()).as("error").startsWith("Cannot publish an unlearned model: ");
    assertThat(result.version()).as("no version").isNull();
    assertThat(result.versionUri()).as("no version URI").isNull();
    assertThat(result.forget().accuracyAfter()).as("forget accuracy after").isPositive();
    assertThat(out.resolve("digits-cnn-bn"))
        .as("nothing published, no work folder, and no model folder made only for them")
        .doesNotExist();
  }

  @Test
  void settersRejectBadValuesAtOnceNamingTheSetting() {
    UnlearnAction action = LetheActions.get(spark).unlearn();

    assertThatThrownBy(() -> action.partitions(0))
        .as("partitions 0")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot unlearn with partitions 0: give 1 or more");
    assertThatThrownBy(() -> action.runId("a b"))
        .as("run id with a space")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot name a run 'a b': give 1 to 64 letters, digits, '.', '_' or '-'");
    assertThatThrownBy(() -> action.model("m.pt").forget("f").execute())
        .as("no output")
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Cannot unlearn: no output was given; set it");
    assertThatThrownBy(
            () ->
                LetheActions.get(spark)
                    .unlearn()
                    .model("m.pt")
                    .forget("f")
                    .output("o")
                    .sample(3)
                    .forgetIds(List.of("a"))
                    .execute())
        .as("a sample and forget ids")
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Cannot unlearn: sample and forget ids exclude each other; set one");
  }

  /**
   * A retain draw never takes the rows left out of it (a sweep's samples that later runs forget):
   * with 10 of the other rows left out, the draw can take every row but the forgotten and those,
   * and one more is refused naming both counts. The plan says what was drawn.
   */
  @Test
  void aRetainDrawTakesNoRowLeftOutOfIt() {
    int rows = JobFixtures.trainSamples().size();
    List<String> later = new java.util.ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      later.add("digits/" + (i * 100));
    }
    int free = rows - IDS.size() - later.size();
    Map<String, Object> plan =
        quick(tmp.resolve("left-out"), Map.of())
            .heldOutFromTest(0)
            .notRetained(later)
            .retainFromForget(free)
            .plan();
    @SuppressWarnings("unchecked")
    Map<String, Object> retain = (Map<String, Object>) plan.get("retain");
    assertThat(retain.get("size")).isEqualTo(free);
    assertThat(retain.get("from_forget")).isEqualTo(true);
    assertThatThrownBy(
            () ->
                quick(tmp.resolve("left-out-more"), Map.of())
                    .heldOutFromTest(0)
                    .notRetained(later)
                    .retainFromForget(free + 1)
                    .plan())
        .hasMessageContaining(
            "holds besides the "
                + IDS.size()
                + " forgotten and 10 left out (that fit the model: "
                + free
                + ")");
  }
}
