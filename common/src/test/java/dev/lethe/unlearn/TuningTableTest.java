package dev.lethe.unlearn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lethe.attack.PgdSettings;
import dev.lethe.data.ImageShape;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TuningTableTest {

  private static final ImageShape SMALL = new ImageShape(1, 28, 28);
  private static final ImageShape CIFAR = new ImageShape(3, 32, 32);
  private static final PgdSettings PGD = PgdSettings.defaults(SMALL);

  @Test
  void everyKeyHasADocAndADistinctNameAndTuningOptionsKnowsExactlyThem() {
    Set<String> names = new HashSet<>();
    for (TuningKey<?> k : TuningTable.keys()) {
      assertThat(k.doc()).as("doc of %s", k.name()).isNotBlank().doesNotContain("\n");
      assertThat(names.add(k.name())).as("%s appears once", k.name()).isTrue();
      assertThat(TuningTable.key(k.name())).as("lookup of %s", k.name()).containsSame(k);
    }
    assertThat(TuningOptions.KEYS).as("--set keys").containsExactlyElementsOf(TuningTable.names());
    assertThat(TuningTable.keys()).as("about 30 keys").hasSize(33);
    assertThat(TuningTable.key("no-such-key")).isEmpty();
  }

  @Test
  void thePresetsAreTheTablesDefaults() {
    for (TuningTable.Preset preset : TuningTable.Preset.values()) {
      for (Goal goal : Goal.values()) {
        UnlearnSettings s = UnlearnSettings.preset(preset.spelling(), goal);
        for (TuningKey<?> k : TuningTable.keys()) {
          assertThat((Object) k.valueIn(s, PGD))
              .as("%s in preset %s for goal %s", k.name(), preset.spelling(), goal.cliName())
              .isEqualTo(k.defaultValue(preset, goal, SMALL));
        }
      }
    }
    // Values that docs/DEFAULTS.md and the paper give, pinned here so the table cannot drift.
    assertThat(TuningTable.LEARNING_RATE.defaultValue(TuningTable.Preset.LETHE, Goal.UNSEEN, null))
        .isEqualTo(3e-3f);
    assertThat(TuningTable.LEARNING_RATE.defaultValue(TuningTable.Preset.PAPER, Goal.UNSEEN, null))
        .isEqualTo(1e-3f);
    assertThat(TuningTable.MOMENTUM.defaultValue(TuningTable.Preset.LETHE, Goal.UNSEEN, null))
        .as("goal unseen runs without momentum")
        .isZero();
    assertThat(
            TuningTable.MAX_EPOCHS.defaultValue(TuningTable.Preset.PAPER, Goal.MISCLASSIFY, null))
        .isEqualTo(1000);
    assertThat(
            TuningTable.PGD_EPSILON.defaultValue(TuningTable.Preset.LETHE, Goal.MISCLASSIFY, SMALL))
        .isEqualTo(2.0f);
    assertThat(
            TuningTable.PGD_EPSILON.defaultValue(TuningTable.Preset.PAPER, Goal.MISCLASSIFY, CIFAR))
        .isEqualTo(4.0f);
    assertThat(UnlearnSettings.paper())
        .isEqualTo(TuningTable.preset(TuningTable.Preset.PAPER, Goal.UNSEEN));
  }

  @Test
  void setOfEveryKeyRoundTrips() {
    UnlearnSettings lethe = UnlearnSettings.defaults();
    UnlearnSettings paper = UnlearnSettings.paper();
    int changed = 0;
    for (TuningKey<?> k : TuningTable.keys()) {
      changed += roundTrip(k, lethe, paper) ? 1 : 0;
      roundTrip(k, paper, lethe);
    }
    assertThat(changed).as("keys whose value a --set changed").isGreaterThanOrEqualTo(12);
    TuningOptions.Applied pgd =
        TuningOptions.apply(
            lethe,
            PGD,
            TuningOptions.parse(
                List.of(
                    "pgd.norm=linf",
                    "pgd.epsilon=0.03",
                    "pgd.step-size=0.01",
                    "pgd.steps=7",
                    "pgd.per-instance=3",
                    "update=conv.*weight")));
    assertThat(pgd.pgd())
        .isEqualTo(new PgdSettings(PgdSettings.Norm.LINF, 0.03f, 0.01f, 7, 3, PGD.seed()));
    assertThat(pgd.settings().update()).isEqualTo("conv.*weight");
  }

  /**
   * Sets {@code k} on {@code base} to its value in {@code other} with {@code --set}, checks that it
   * reads back and nothing else changed; returns whether the value differed from base's.
   */
  private static <T> boolean roundTrip(
      TuningKey<T> k, UnlearnSettings base, UnlearnSettings other) {
    T wanted = k.valueIn(other, PGD);
    String assignment = k.name() + "=" + k.text(wanted);
    TuningOptions.Applied a;
    if (k == TuningTable.FORGET_WEIGHT || k == TuningTable.ESCALATE_MAX) {
      // escalate-max must stay at least forget-weight: set both, as a user would.
      a =
          TuningOptions.apply(
              base,
              PGD,
              TuningOptions.parse(
                  List.of("escalate-max=0", assignment, "forget-weight=" + other.forgetWeight())));
    } else {
      a = TuningOptions.apply(base, PGD, TuningOptions.parse(List.of(assignment)));
    }
    assertThat(k.valueIn(a.settings(), a.pgd())).as("--set %s", assignment).isEqualTo(wanted);
    for (TuningKey<?> o : TuningTable.keys()) {
      if (o != k && o != TuningTable.ESCALATE_MAX && o != TuningTable.FORGET_WEIGHT) {
        assertThat((Object) o.valueIn(a.settings(), a.pgd()))
            .as("%s after --set %s", o.name(), assignment)
            .isEqualTo(o.valueIn(base, PGD));
      }
    }
    return !wanted.equals(k.valueIn(base, PGD));
  }

  @Test
  void anOutOfRangeOrMalformedValueIsRefusedNamingTheKey() {
    for (TuningKey<?> k : TuningTable.keys()) {
      String bad =
          switch (k.kind()) {
            case DECIMAL, INTEGER -> "-1";
            case BOOLEAN -> "perhaps";
            case CHOICE -> "no-such-choice";
            case TEXT -> "([";
          };
      assertThatThrownBy(
              () -> TuningOptions.apply(UnlearnSettings.defaults(), PGD, Map.of(k.name(), bad)))
          .as("%s=%s", k.name(), bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("Cannot use ")
          .hasMessageContaining(k.name() + "=" + bad);
    }
    assertThatThrownBy(
            () -> TuningOptions.apply(UnlearnSettings.defaults(), PGD, Map.of("pgd.steps", "0")))
        .hasMessage(
            "Cannot use PGD setting steps: must be >= 1, got 0 (from the tuning options"
                + " {pgd.steps=0})");
    assertThatThrownBy(
            () -> TuningOptions.apply(UnlearnSettings.defaults(), PGD, Map.of("momentum", "1")))
        .hasMessage(
            "Cannot use unlearning setting momentum: must be in [0,1), got 1.0 (from the tuning"
                + " options {momentum=1})");
    assertThatThrownBy(
            () -> TuningOptions.apply(UnlearnSettings.defaults(), PGD, Map.of("anchors", "x")))
        .hasMessage("Cannot use tuning option anchors=x: not a number");
    assertThatThrownBy(
            () ->
                TuningOptions.apply(
                    UnlearnSettings.defaults(), PGD, Map.of("batch-norm", "sometimes")))
        .hasMessage("Cannot use tuning option batch-norm=sometimes: choose one of train, frozen");
  }

  @Test
  void helpAndConfCommentsComeFromTheTable() {
    assertThat(TuningTable.LEARNING_RATE.describe(TuningTable.Preset.LETHE, Goal.MISCLASSIFY))
        .isEqualTo("learning-rate (decimal, > 0; default 0.003, paper 0.001): SGD learning rate");
    assertThat(TuningTable.BATCH_NORM.describe(TuningTable.Preset.PAPER, Goal.MISCLASSIFY))
        .startsWith("batch-norm (choice, one of train, frozen; default train, lethe frozen): ");
    assertThat(TuningTable.MOMENTUM.defaultText(TuningTable.Preset.LETHE, Goal.UNSEEN))
        .isEqualTo("0.0");
    assertThat(TuningTable.PGD_EPSILON.defaultText(TuningTable.Preset.LETHE, Goal.MISCLASSIFY))
        .isEqualTo("2.0 below 3x32x32 inputs, 4.0 from there");
    List<String> conf = TuningTable.confComments(Goal.MISCLASSIFY);
    assertThat(conf).hasSameSizeAs(TuningTable.keys()).allMatch(l -> l.startsWith("# "));
    assertThat(conf.get(0)).startsWith("# forget-loss (choice, one of cross-entropy, margin;");
  }

  @Test
  void theRecordedSettingsAreTheFineTunesKeysInTableOrder() {
    Map<String, Object> recorded = TuningTable.recorded(UnlearnSettings.paper());
    assertThat(recorded.keySet())
        .containsExactlyElementsOf(
            TuningTable.names().stream().filter(n -> !n.startsWith("pgd.")).toList());
    assertThat(recorded)
        .containsEntry("forget-loss", "cross-entropy")
        .containsEntry("weight-decay", 1e-4f)
        .containsEntry("max-epochs", 1000)
        .containsEntry("separate-batches", true)
        .containsEntry("update", "all");
  }
}
