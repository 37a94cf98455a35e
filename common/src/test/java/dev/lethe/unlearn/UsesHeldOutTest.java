package dev.lethe.unlearn;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Which runs put a held-out sample to use, so that the job draws one from the test data only for
 * them: the stop rule of goal unseen, a distilling fine-tune's held images, SalUn and SCRUB without
 * a retain sample.
 */
class UsesHeldOutTest {

  private static boolean uses(String preset, Goal goal, Method method, boolean hasRetain) {
    UnlearnSettings s = UnlearnSettings.presetCandidates(preset, goal, method).get(0);
    return Unlearning.usesHeldOut(method, goal, s, hasRetain);
  }

  @Test
  void lethesPresetHoldsHeldOutImagesForTheDistillingMethods() {
    assertThat(uses("lethe", Goal.MISCLASSIFY, Method.L2UL, false)).isTrue();
    assertThat(uses("lethe", Goal.MISCLASSIFY, Method.ADV, false)).isTrue();
    assertThat(uses("lethe", Goal.MISCLASSIFY, Method.NEGGRAD, false))
        .as("neggrad has no boundary term to hold images in")
        .isFalse();
  }

  @Test
  void thePaperPresetHoldsNoneButGoalUnseenAlwaysNeedsOne() {
    assertThat(uses("paper", Goal.MISCLASSIFY, Method.L2UL, false)).isFalse();
    assertThat(uses("paper", Goal.UNSEEN, Method.L2UL, false)).isTrue();
    assertThat(uses("lethe", Goal.UNSEEN, Method.NEGGRAD, false)).isTrue();
  }

  @Test
  void salunAndScrubUseItOnlyWithoutARetainSample() {
    assertThat(uses("lethe", Goal.MISCLASSIFY, Method.SALUN, false)).isTrue();
    assertThat(uses("lethe", Goal.MISCLASSIFY, Method.SALUN, true)).isFalse();
    assertThat(uses("lethe", Goal.MISCLASSIFY, Method.SCRUB, false)).isTrue();
    assertThat(uses("lethe", Goal.MISCLASSIFY, Method.SCRUB, true)).isFalse();
  }
}
