package dev.lethe.unlearn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lethe.attack.PgdSettings;
import dev.lethe.data.ImageShape;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TuningOptionsTest {

  private static final PgdSettings PGD = PgdSettings.defaults(new ImageShape(1, 28, 28));

  @Test
  void heldOutBatchIsAKnownKeyWithPresetDefaults() {
    assertThat(TuningOptions.KEYS).contains(TuningTable.HELD_OUT_BATCH.name());
    assertThat(UnlearnSettings.defaults().heldOutBatch()).isEqualTo(256);
    assertThat(UnlearnSettings.paper().heldOutBatch())
        .as("the paper uses no held-out data")
        .isZero();
    TuningOptions.Applied a =
        TuningOptions.apply(
            UnlearnSettings.defaults(),
            PGD,
            TuningOptions.parse(List.of("held-out-batch=32", "momentum=0")));
    assertThat(a.settings().heldOutBatch()).isEqualTo(32);
    assertThat(a.settings().momentum()).isZero();
  }

  @Test
  void standInsIsAKnownKeyWithPresetDefaults() {
    assertThat(TuningOptions.KEYS).contains(TuningTable.STAND_INS.name());
    assertThat(UnlearnSettings.defaults().standIns()).isEqualTo(1024);
    assertThat(UnlearnSettings.paper().standIns()).as("the paper holds no extra images").isZero();
    assertThat(
            TuningOptions.apply(
                    UnlearnSettings.defaults(), PGD, TuningOptions.parse(List.of("stand-ins=0")))
                .settings()
                .standIns())
        .isZero();
    assertThatThrownBy(
            () ->
                TuningOptions.apply(
                    UnlearnSettings.defaults(), PGD, TuningOptions.parse(List.of("stand-ins=-1"))))
        .hasMessageContaining("standIns")
        .hasMessageContaining("-1");
  }

  @Test
  void theLethePresetForGoalUnseenHasNoMomentumMoreHeldOutImagesAndNoStages() {
    assertThat(UnlearnSettings.defaults(Goal.MISCLASSIFY)).isEqualTo(UnlearnSettings.defaults());
    assertThat(UnlearnSettings.defaults().momentum()).isEqualTo(0.9f);
    assertThat(UnlearnSettings.defaults().split()).isEqualTo(32);
    UnlearnSettings unseen = UnlearnSettings.preset("lethe", Goal.UNSEEN);
    assertThat(unseen.momentum()).isZero();
    assertThat(unseen.heldOutBatch()).isEqualTo(512);
    assertThat(unseen.split()).as("goal unseen judges the set as a whole").isZero();
    assertThat(unseen.toBuilder().momentum(0.9f).heldOutBatch(256).split(32).build())
        .as("nothing else differs")
        .isEqualTo(UnlearnSettings.defaults());
    assertThat(UnlearnSettings.preset("paper", Goal.UNSEEN)).isEqualTo(UnlearnSettings.paper());
    assertThat(UnlearnSettings.presetCandidates("calibrate", Goal.UNSEEN))
        .hasSize(2)
        .allMatch(s -> s.momentum() == 0f);
  }

  @Test
  void aNegativeHeldOutBatchIsRefusedByName() {
    assertThatThrownBy(
            () ->
                TuningOptions.apply(
                    UnlearnSettings.defaults(), PGD, Map.of("held-out-batch", "-1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("heldOutBatch")
        .hasMessageContaining("held-out-batch=-1");
  }

  @Test
  void anUnknownKeyListsTheKnownOnes() {
    assertThatThrownBy(
            () -> TuningOptions.apply(UnlearnSettings.defaults(), PGD, Map.of("held-out", "64")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'held-out'")
        .hasMessageContaining(TuningTable.HELD_OUT_BATCH.name());
  }
}
