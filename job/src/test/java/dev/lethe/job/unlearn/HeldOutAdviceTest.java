package dev.lethe.job.unlearn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.data.ImageShape;
import dev.lethe.unlearn.Goal;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeldOutAdviceTest {

  private static final ImageShape SHAPE = new ImageShape(1, 28, 28);

  private static RunSettings settings(String preset, Map<String, String> tuning) {
    return RunSettings.resolve(preset, Goal.MISCLASSIFY, tuning, SHAPE);
  }

  /** Only --held-out-from-test 0 leaves a run with this much test data without the draw. */
  @Test
  void aRunWithTestDataButNoHeldOutSampleIsToldToDrawOneFromTheTestData() {
    assertThat(UnlearnRun.heldOutAdvice(0, 0, 10_000, settings(null, Map.of())))
        .startsWith(
            "no held-out sample and no retain sample: the fine-tune holds mixtures of forget"
                + " images")
        .contains("give --retain URI with a thousand or so retained training images")
        .endsWith(
            "leave out --held-out-from-test 0, or give --held-out-from-test 1000, to hold test"
                + " images the model never saw (test accuracy is then measured on the rest)");
  }

  @Test
  void aRunWithLittleTestDataIsToldToDrawHalfOfItOrToGiveHeldOutImages() {
    assertThat(UnlearnRun.heldOutAdvice(0, 0, 500, settings(null, Map.of())))
        .endsWith(
            "give --held-out-from-test 250 to hold half of the 500 test images (test accuracy is"
                + " then measured on the rest), or --held-out URI with a thousand or so images"
                + " like the model's inputs that it never saw");
  }

  @Test
  void aRunWithoutTestDataIsToldToGiveHeldOutImages() {
    assertThat(UnlearnRun.heldOutAdvice(0, 0, 0, settings(null, Map.of())))
        .endsWith(
            "give --held-out URI with labelled images like the model's inputs that it never saw,"
                + " a thousand or so (64 were too few at 128 instances; images of another kind do"
                + " not help; the membership-inference attack uses them as non-members)");
  }

  @Test
  void nothingIsAdvisedWithAHeldOutOrRetainSampleOrWhenTheSettingsHoldNoImages() {
    assertThat(UnlearnRun.heldOutAdvice(1000, 0, 9_000, settings(null, Map.of()))).isNull();
    assertThat(UnlearnRun.heldOutAdvice(0, 1000, 0, settings(null, Map.of()))).isNull();
    assertThat(UnlearnRun.heldOutAdvice(0, 0, 10_000, settings("paper", Map.of()))).isNull();
    assertThat(
            UnlearnRun.heldOutAdvice(0, 0, 10_000, settings(null, Map.of("held-out-batch", "0"))))
        .isNull();
  }
}
