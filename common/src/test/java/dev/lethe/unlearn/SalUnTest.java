package dev.lethe.unlearn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lethe.data.Sample;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import dev.lethe.testing.Fixtures;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Method salun (SalUn, Fan et al. 2024) on the digits CNN fixture. */
class SalUnTest {

  private static Classifier cnn() throws IOException {
    return Classifier.load(Fixtures.cnn(), SpecResolver.Partial.empty("test"));
  }

  /** 300 training digits that are not in {@code forget}: the retain sample. */
  private static List<Sample> retain(List<Sample> forget) {
    Set<String> ids = new HashSet<>();
    forget.forEach(s -> ids.add(s.id()));
    List<Sample> out = new ArrayList<>();
    for (Sample s : Fixtures.train()) {
      if (!ids.contains(s.id()) && out.size() < 300) {
        out.add(s);
      }
    }
    return out;
  }

  @Test
  void forgetsEightInstancesWithARetainSampleAndReportsItsName() throws IOException {
    try (Classifier model = cnn()) {
      List<Sample> forget = UnlearningTest.forgetSet(model, 8);
      UnlearningResult r =
          new Unlearning(model, forget)
              .optMethod(Method.SALUN)
              .optRetain(retain(forget))
              .optTest(Fixtures.test())
              .optProgress(line -> {})
              .run();
      assertThat(r.succeeded()).as("reached the goal: " + r.message()).isTrue();
      assertThat(r.forget().after()).as("forget accuracy after").isZero();
      assertThat(model.accuracy(forget, 64)).as("the model itself misclassifies").isZero();
      assertThat(r.adversarialCount()).as("no PGD stage").isZero();
      assertThat(r.method()).isEqualTo(Method.SALUN);
      assertThat(ResultJson.toJson(r).get("method").asText()).isEqualTo("salun");
      assertThat(ResultJson.toJson(r).get("settings").get("salun.fraction").floatValue())
          .isEqualTo(0.5f);
    }
  }

  @Test
  void withoutARetainSampleTheHeldOutImagesAreKeptInItsPlace() throws IOException {
    try (Classifier model = cnn()) {
      List<Sample> forget = UnlearningTest.forgetSet(model, 8);
      List<String> lines = new ArrayList<>();
      UnlearningResult r =
          new Unlearning(model, forget)
              .optMethod(Method.SALUN)
              .optHeldOut(Fixtures.test().subList(0, 200))
              .optProgress(lines::add)
              .run();
      assertThat(r.succeeded()).as("reached the goal: " + r.message() + " " + lines).isTrue();
      assertThat(lines)
          .as("the held-out images stand in for the retain sample")
          .contains("held-out images kept at the original model's outputs: 200, 200 per step");
    }
  }

  @Test
  void onlyTheSalientWeightsMoveAndTheOthersKeepTheirOriginalValues() throws IOException {
    try (Classifier model = cnn()) {
      List<Sample> forget = UnlearningTest.forgetSet(model, 8);
      LinkedHashMap<String, float[]> before = model.parameterValues();
      LinkedHashMap<String, float[]> mask =
          SalUn.mask(model, forget, UnlearningLoop.updatedParameters(model, "all"), 0.5f, 256);
      assertThat(model.parameterValues())
          .as("computing the mask leaves the weights as they were")
          .containsExactlyEntriesOf(before);
      int total = 0;
      int salient = 0;
      for (float[] m : mask.values()) {
        total += m.length;
        for (float x : m) {
          salient += x == 1f ? 1 : 0;
        }
      }
      assertThat(salient).as("half of %d entries salient", total).isEqualTo(total / 2);

      UnlearningResult r =
          new Unlearning(model, forget)
              .optMethod(Method.SALUN)
              .optRetain(retain(forget))
              .optProgress(line -> {})
              .run();
      assertThat(r.succeeded()).as("reached the goal: " + r.message()).isTrue();
      int moved = 0;
      int movedOutsideMask = 0;
      for (Map.Entry<String, float[]> e : model.parameterValues().entrySet()) {
        float[] was = before.get(e.getKey());
        float[] now = e.getValue();
        float[] m = mask.get(e.getKey());
        for (int i = 0; i < now.length; i++) {
          if (Float.floatToRawIntBits(now[i]) != Float.floatToRawIntBits(was[i])) {
            moved++;
            movedOutsideMask += m[i] == 0f ? 1 : 0;
          }
        }
      }
      assertThat(movedOutsideMask).as("entries outside the saliency mask that moved").isZero();
      assertThat(moved).as("salient entries that moved, of %d", salient).isPositive();
    }
  }

  @Test
  void theMaskHasOneThresholdOverAllParametersNotOnePerLayer() {
    LinkedHashMap<String, float[]> grads = new LinkedHashMap<>();
    grads.put("conv.weight", new float[] {1, 2, 3, 4});
    grads.put("fc.weight", new float[] {10, 20});
    LinkedHashMap<String, float[]> m = SalUn.threshold(grads, 0.5f);
    // Global: the 3 largest of all 6 (20, 10, 4); per layer it would be {3, 4} and {20}.
    assertThat(m.get("conv.weight")).containsExactly(0, 0, 0, 1);
    assertThat(m.get("fc.weight")).containsExactly(1, 1);

    LinkedHashMap<String, float[]> ties = new LinkedHashMap<>();
    ties.put("w", new float[] {0, 0, 0, 0, 0});
    assertThat(SalUn.threshold(ties, 0.5f).get("w"))
        .as("floor(0.5 * 5) entries, ties taken in order")
        .containsExactly(1, 1, 0, 0, 0);
  }

  @Test
  void presetPaperIsTheAuthorsValuesAndPresetLetheIsLethesLoop() {
    for (Goal goal : Goal.values()) {
      UnlearnSettings paper = TuningTable.preset(TuningTable.Preset.PAPER, goal, Method.SALUN);
      // github.com/OPTML-Group/Unlearn-Saliency, Classification/: README (lr 0.013, 10 epochs,
      // mask with_0.5.pt), arg_parser.py (batch 256, momentum 0.9, weight decay 5e-4),
      // unlearn/RL.py (model.train()).
      assertThat(paper.learningRate()).isEqualTo(0.013f);
      assertThat(paper.maxEpochs()).isEqualTo(10);
      assertThat(paper.salunFraction()).isEqualTo(0.5f);
      assertThat(paper.momentum()).isEqualTo(0.9f);
      assertThat(paper.weightDecay()).isEqualTo(5e-4f);
      assertThat(paper.forgetBatch()).isEqualTo(256);
      assertThat(paper.adversarialBatch()).as("retain batch").isEqualTo(256);
      assertThat(paper.batchNorm()).isEqualTo(UnlearnSettings.BatchNormMode.TRAIN);
      assertThat(paper.escalate()).as("no escalation in the authors' code").isZero();
      assertThat(TuningTable.preset(TuningTable.Preset.LETHE, goal, Method.SALUN))
          .as("preset lethe: Lethe's loop settings")
          .isEqualTo(UnlearnSettings.defaults(goal));
      assertThat(UnlearnSettings.presetCandidates("paper", goal, Method.SALUN))
          .containsExactly(paper);
      for (Method other : List.of(Method.NEGGRAD, Method.L2UL, Method.RANDOM_LABEL)) {
        assertThat(TuningTable.preset(TuningTable.Preset.PAPER, goal, other))
            .as("preset paper of %s stays the L2UL authors'", other.cliName())
            .isEqualTo(UnlearnSettings.paper());
      }
    }
  }

  @Test
  void theCliNameIsSalunAndAWrongNameListsEveryMethod() {
    assertThat(Method.parse("salun")).isEqualTo(Method.SALUN);
    assertThat(Method.parse("SalUn")).isEqualTo(Method.SALUN);
    assertThat(Method.SALUN.cliName()).isEqualTo("salun");
    assertThat(Method.SALUN.drawsRandomLabels()).isTrue();
    assertThatThrownBy(() -> Method.parse("saliency"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Cannot use method 'saliency': choose one of neggrad, adv, l2ul")
        .satisfies(
            e -> {
              for (Method m : Method.values()) {
                assertThat(e.getMessage()).contains(m.cliName());
              }
            });
  }

  @Test
  void aFractionOutsideZeroToOneIsRefusedNamingTheKey() {
    assertThatThrownBy(
            () ->
                TuningOptions.apply(
                    UnlearnSettings.defaults(),
                    dev.lethe.attack.PgdSettings.defaults(new dev.lethe.data.ImageShape(1, 28, 28)),
                    Map.of("salun.fraction", "1.5")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Cannot use ")
        .hasMessageContaining("salun.fraction=1.5");
  }

  @Test
  void aTargetClassIsRefusedBecauseSalunPicksItsOwnLabels() throws IOException {
    try (Classifier model = cnn()) {
      List<Sample> forget = UnlearningTest.forgetSet(model, 4);
      int other = (forget.get(0).label() + 1) % 10;
      assertThatThrownBy(
              () ->
                  new Unlearning(model, forget).optMethod(Method.SALUN).optTargetClass(other).run())
          .hasMessage("Cannot combine method salun with a target class: it picks its own labels");
    }
  }
}
