package dev.lethe.unlearn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lethe.attack.PgdSettings;
import dev.lethe.data.Sample;
import dev.lethe.failure.SettingException;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import dev.lethe.testing.Fixtures;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class UnlearningTest {

  private static Classifier cnn() throws IOException {
    return Classifier.load(Fixtures.cnn(), SpecResolver.Partial.empty("test"));
  }

  /** k training instances the model classifies correctly, spread over the set. */
  static List<Sample> forgetSet(Classifier model, int k) {
    List<Sample> train = Fixtures.train();
    int[] pred = model.predict(train, 256);
    List<Sample> out = new ArrayList<>();
    for (int i = 0; i < train.size() && out.size() < k; i += 37) {
      if (pred[i] == train.get(i).label()) {
        out.add(train.get(i));
      }
    }
    return out;
  }

  private static PgdSettings quickPgd(Classifier model) {
    return PgdSettings.defaults(model.spec().input()).withSteps(20).withPerInstance(8);
  }

  @Test
  void l2ulForgetsEightInstancesAndKeepsTestAccuracy() throws IOException {
    try (Classifier model = cnn()) {
      List<Sample> forget = forgetSet(model, 8);
      UnlearningResult r =
          new Unlearning(model, forget)
              .optPgd(quickPgd(model))
              .optTest(Fixtures.test())
              .optProgress(line -> {})
              .run();
      assertThat(r.succeeded()).as("reached the goal: " + r.message()).isTrue();
      assertThat(r.forget().before()).as("forget accuracy before").isEqualTo(1.0);
      assertThat(r.forget().after()).as("forget accuracy after").isZero();
      assertThat(model.accuracy(forget, 64)).as("the model itself now misclassifies").isZero();
      assertThat(r.test().after())
          .as("test accuracy kept within a few points")
          .isGreaterThan(r.test().before() - 0.05);
      assertThat(r.steps()).as("steps").isPositive();
      assertThat(r.adversarialCount()).as("adversarial examples").isEqualTo(8 * 8);
      assertThat(r.miaAfter()).as("membership inference measured").isNotNull();
    }
  }

  @Test
  void paperPresetNegGradForgets() throws IOException {
    try (Classifier model = cnn()) {
      List<Sample> forget =
          dev.lethe.bench.UnlearnBenchmark.randomInstances(Fixtures.train(), 8, 0);
      UnlearningResult r =
          new Unlearning(model, forget)
              .optMethod(Method.NEGGRAD)
              .optSettings(UnlearnSettings.paper())
              .optTest(Fixtures.test())
              .optProgress(line -> {})
              .run();
      assertThat(r.succeeded()).as("paper preset reached the goal: " + r.message()).isTrue();
      assertThat(r.forget().after()).as("forget accuracy after").isZero();
    }
  }

  @Test
  void targetedRunMovesEveryInstanceToItsTarget() throws IOException {
    try (Classifier model = cnn()) {
      List<Sample> forget = forgetSet(model, 8).stream().filter(s -> s.label() != 3).toList();
      UnlearningResult r =
          new Unlearning(model, forget)
              .optTargetClass(3)
              .optPgd(quickPgd(model))
              .optProgress(line -> {})
              .run();
      assertThat(r.succeeded()).as("reached: " + r.message()).isTrue();
      assertThat(model.predict(forget, 64)).as("all predicted as the target").containsOnly(3);
    }
  }

  @Test
  void calibrationPicksTheCandidateThatKeepsHeldOutAccuracy() throws IOException {
    try (Classifier model = cnn()) {
      List<Sample> forget = forgetSet(model, 8);
      UnlearnSettings collapsing =
          UnlearnSettings.defaults().toBuilder()
              .batchNorm(UnlearnSettings.BatchNormMode.TRAIN)
              .anchors(0)
              .forgetWeight(8f)
              .build();
      UnlearnSettings gentle = UnlearnSettings.defaults();
      List<String> lines = new ArrayList<>();
      UnlearningResult r =
          new Unlearning(model, forget)
              .optCandidates(List.of(collapsing, gentle))
              .optHeldOut(Fixtures.test().subList(0, 200))
              .optTest(Fixtures.test().subList(200, 500))
              .optPgd(quickPgd(model))
              .optProgress(lines::add)
              .run();
      assertThat(lines.stream().filter(l -> l.startsWith("calibration: candidate")))
          .as("both candidates tried")
          .hasSize(2);
      assertThat(lines)
          .as("the gentler candidate is chosen")
          .contains("calibration chose " + Unlearning.describe(gentle));
      // The result reports what the last fine-tune ran with: the chosen candidate, or the same at
      // a lower learning rate after a divergence restart (numerics differ between CPUs).
      UnlearnSettings ran = r.settings();
      assertThat(ran.toBuilder().learningRate(gentle.learningRate()).build())
          .as("the result's settings are the chosen candidate's: " + lines)
          .isEqualTo(gentle);
      if (ran.learningRate() != gentle.learningRate()) {
        assertThat(lines)
            .as("a lower learning rate only after a divergence restart")
            .anyMatch(l -> l.startsWith("the loss diverged"));
      }
      assertThat(r.succeeded()).as("reached: " + r.message() + "; " + lines).isTrue();
      assertThat(r.test().after())
          .as("test accuracy kept within a few points: " + lines)
          .isGreaterThan(r.test().before() - 0.05);
    }
  }

  @Test
  void separateForwardPassesInTrainModeAlsoForget() throws IOException {
    try (Classifier model = cnn()) {
      List<Sample> forget = forgetSet(model, 8);
      UnlearnSettings separate =
          UnlearnSettings.defaults().toBuilder()
              .batchNorm(UnlearnSettings.BatchNormMode.TRAIN)
              .anchors(0)
              .separateBatches(true)
              .build();
      UnlearningResult r =
          new Unlearning(model, forget)
              .optSettings(separate)
              .optPgd(quickPgd(model))
              .optProgress(line -> {})
              .run();
      assertThat(r.succeeded()).as("reached: " + r.message()).isTrue();
      assertThat(r.settings().separateBatches()).as("setting reported").isTrue();
      assertThat(model.accuracy(forget, 64)).as("forgotten").isZero();
    }
  }

  @Test
  void reachingTheCapIsAFailureResult() throws IOException {
    try (Classifier model = cnn()) {
      List<Sample> forget = forgetSet(model, 8);
      UnlearningResult r =
          new Unlearning(model, forget)
              .optSettings(
                  UnlearnSettings.defaults().toBuilder().learningRate(1e-7f).maxEpochs(1).build())
              .optPgd(quickPgd(model))
              .optProgress(line -> {})
              .run();
      assertThat(r.succeeded()).as("cap reached").isFalse();
      assertThat(r.message()).as("reason").contains("cap of 1 epochs");
      assertThat(r.forget().after()).as("still remembered").isPositive();
    }
  }

  @Test
  void escalationDoublesTheForgetWeightWhileProgressStalls() throws IOException {
    List<String> lines = new ArrayList<>();
    UnlearningResult r = stalledRun(s -> s.maxEpochs(7).escalate(3), lines);
    assertThat(r.succeeded()).isFalse();
    assertThat(r.settings().escalate()).isEqualTo(3);
    assertThat(lines)
        .filteredOn(l -> l.contains("forget weight now"))
        .containsExactly(
            "step 3: no progress for 3 steps, forget weight now 2",
            "step 6: no progress for 3 steps, forget weight now 4");
  }

  @Test
  void escalationGivesUpAtItsMaximumInsteadOfDoublingAgain() throws IOException {
    List<String> lines = new ArrayList<>();
    UnlearningResult r = stalledRun(s -> s.maxEpochs(50).escalate(2).escalateMax(2f), lines);
    assertThat(r.succeeded()).isFalse();
    assertThat(r.steps()).as("gave up at the second stall, not at the cap").isEqualTo(4);
    assertThat(r.message())
        .contains("highest forget weight (2)")
        .contains("not yet forgotten")
        .as("one next step each, with its value: the ceiling four times higher, half the stage")
        .contains("(--set escalate-max=8, at some cost in test accuracy)", "(--set split=4)");
    assertThat(lines)
        .filteredOn(l -> l.contains("forget weight now"))
        .containsExactly("step 2: no progress for 2 steps, forget weight now 2");
  }

  /** A run on 8 digits whose learning rate is too small to make progress, so escalation acts. */
  private static UnlearningResult stalledRun(
      java.util.function.UnaryOperator<UnlearnSettings.Builder> settings, List<String> lines)
      throws IOException {
    try (Classifier model = cnn()) {
      return new Unlearning(model, forgetSet(model, 8))
          .optSettings(
              settings.apply(UnlearnSettings.defaults().toBuilder().learningRate(1e-9f)).build())
          .optPgd(quickPgd(model))
          .optProgress(lines::add)
          .run();
    }
  }

  /** A run on 12 instances with its forget set, trajectory and progress lines. */
  private record Chained(
      UnlearningResult r, List<Sample> forget, Trajectory trajectory, List<String> lines) {}

  private static Chained chainedRun(Classifier model, UnlearnSettings settings) {
    List<Sample> forget = forgetSet(model, 12);
    List<String> lines = new ArrayList<>();
    Trajectory trajectory = new Trajectory(Trajectory.MAX_POINTS, 1000);
    UnlearningResult r =
        new Unlearning(model, forget)
            .optSettings(settings)
            .optPgd(quickPgd(model))
            .optTrajectory(trajectory)
            .optProgress(lines::add)
            .run();
    return new Chained(r, forget, trajectory, lines);
  }

  @Test
  void aRequestLargerThanSplitIsForgottenInChainedStagesOfItsPrefixes() throws IOException {
    try (Classifier model = cnn()) {
      Chained c = chainedRun(model, UnlearnSettings.defaults().toBuilder().split(4).build());
      UnlearningResult r = c.r();
      List<Sample> forget = c.forget();
      List<String> lines = c.lines();
      Trajectory trajectory = c.trajectory();
      assertThat(r.succeeded()).as("reached the goal: " + r.message()).isTrue();
      assertThat(r.stages()).isEqualTo(3);
      assertThat(ResultJson.toJson(r).get("stages").asInt()).isEqualTo(3);
      assertThat(r.forget().after()).isZero();
      assertThat(model.accuracy(forget, 64)).as("every stage's instances stay forgotten").isZero();
      assertThat(lines)
          .filteredOn(l -> l.startsWith("stage "))
          .extracting(l -> l.substring(0, l.indexOf(" (")))
          .containsExactly(
              "stage 1 of 3: forgetting instances 1-4 of 12",
              "stage 2 of 3: forgetting instances 1-8 of 12",
              "stage 3 of 3: forgetting instances 1-12 of 12");
      assertThat(lines).anyMatch(l -> l.contains("forgotten in 3 chained stages"));
      // Each stage stops when its prefix is forgotten: the score (the fraction not yet forgotten
      // of the stage's instances) reaches 0 before the last step and rises when the next stage
      // adds instances the model still knows.
      List<Trajectory.Point> points = trajectory.points();
      assertThat(trajectory.lastStep()).isEqualTo(r.steps());
      int firstZero = -1;
      for (int i = 0; i < points.size(); i++) {
        if (points.get(i).forgetScore() == 0) {
          firstZero = i;
          break;
        }
      }
      assertThat(firstZero)
          .as("a stage ended before the last step")
          .isBetween(0, points.size() - 2);
      assertThat(points.get(firstZero + 1).forgetScore()).isPositive();
    }
  }

  @Test
  void aStageThatStopsShortHandsItsInstancesOnAndTheLastStageTriesTwiceBeforeTheRunFails()
      throws IOException {
    List<String> lines = new ArrayList<>();
    UnlearningResult r =
        stalledRun(s -> s.split(4).maxEpochs(50).escalate(2).escalateMax(2f), lines);
    assertThat(r.succeeded()).isFalse();
    assertThat(r.message())
        .startsWith("stage 2 of 2 (instances 1-8), attempt 2: no progress")
        .contains("of the forget set not yet forgotten")
        .as("smaller stages means half the stages that ran (4), not half the request (8)")
        .endsWith("or forget in smaller stages (--set split=2)");
    assertThat(lines)
        .filteredOn(l -> l.startsWith("stage "))
        .extracting(l -> l.substring(l.indexOf("steps") + "steps".length()))
        .containsExactly(
            "",
            "; stage 1 stopped short of its goal and hands on 4 instances not yet forgotten, from"
                + " the weights of its best step",
            "; its first attempt stopped short of its goal with 8 instances not yet forgotten,"
                + " and this one starts from the weights of its best step");
    assertThat(lines)
        .filteredOn(l -> l.startsWith("stage "))
        .extracting(l -> l.substring(0, l.indexOf(':')))
        .containsExactly("stage 1 of 2", "stage 2 of 2", "stage 2 of 2 once more");
    assertThat(r.steps()).as("three stage attempts of 4 steps (two stalls of 2)").isEqualTo(12);
  }

  @Test
  void aStageThatStopsShortGoesBackToItsBestStepAndTheNextStageFinishesTheRequest()
      throws IOException {
    // Stage 1 (instances 1-4) stops at the first step without progress: 1 of 4 left after
    // step 1, 3 after step 2. It hands on from step 1's weights, and the later stages forget all.
    try (Classifier model = cnn()) {
      Chained c =
          chainedRun(
              model,
              UnlearnSettings.defaults().toBuilder()
                  .split(4)
                  .learningRate(1f)
                  .escalate(1)
                  .escalateMax(1f)
                  .build());
      UnlearningResult r = c.r();
      List<String> lines = c.lines();
      List<Trajectory.Point> points = c.trajectory().points();
      assertThat(points.get(0).forgetScore()).as("stage 1's best step, the first").isEqualTo(0.25);
      assertThat(points.get(1).forgetScore())
          .as("stage 1's last step, worse than its best")
          .isEqualTo(0.75);
      assertThat(lines)
          .filteredOn(l -> l.startsWith("stage 2 of 3"))
          .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
          .contains("after 2 steps; stage 1 stopped short of its goal and hands on 1 instance not");
      assertThat(r.succeeded()).as(r.message()).isTrue();
      assertThat(model.accuracy(c.forget(), 64)).isZero();
      assertThat(lines)
          .anyMatch(
              l ->
                  l.startsWith("fine-tune reached the goal")
                      && l.endsWith(
                          "(1 stage attempt of 3 stages stopped short and handed their"
                              + " unforgotten instances on)"));
    }
  }

  @Test
  void goalUnseenAtTheCeilingIsNotToldToSplitWhichItRefuses() throws IOException {
    try (Classifier model = cnn()) {
      UnlearningResult r =
          new Unlearning(model, surestTrainingDigits(model, 8))
              .optGoal(Goal.UNSEEN)
              .optHeldOut(Fixtures.test().subList(0, 200))
              .optSettings(
                  UnlearnSettings.defaults(Goal.UNSEEN).toBuilder()
                      .learningRate(1e-9f)
                      .maxEpochs(50)
                      .escalate(2)
                      .escalateMax(2f)
                      .build())
              .optPgd(quickPgd(model))
              .optProgress(line -> {})
              .run();
      assertThat(r.succeeded()).as("stalled: " + r.message()).isFalse();
      assertThat(r.message())
          .contains("highest forget weight (2)", "the median-loss gap at")
          .endsWith("(--set escalate-max=8, at some cost in test accuracy)")
          .doesNotContain("split");
    }
  }

  /** The n training digits the model is surest of: their losses start below the held-out ones. */
  private static List<Sample> surestTrainingDigits(Classifier model, int n) {
    List<Sample> train = Fixtures.train();
    double[] losses = dev.lethe.eval.Evaluation.losses(model, train, 256);
    return java.util.stream.IntStream.range(0, train.size())
        .boxed()
        .sorted(java.util.Comparator.comparingDouble(i -> losses[i]))
        .limit(n)
        .map(train::get)
        .toList();
  }

  @Test
  void goalUnseenDoesNotCallABrokenModelUnseen() throws IOException {
    // SCRUB at k = 64 on the demo model reached goal unseen at 19-32 % test accuracy and was
    // published: a broken model's forget losses rise to the held-out ones because both rise. Here
    // neggrad at a learning rate that breaks the digits CNN plays that part.
    try (Classifier model = cnn()) {
      List<Sample> forget = surestTrainingDigits(model, 8);
      List<String> lines = new ArrayList<>();
      UnlearningResult r =
          new Unlearning(model, forget)
              .optMethod(Method.NEGGRAD)
              .optGoal(Goal.UNSEEN)
              .optHeldOut(Fixtures.test().subList(0, 200))
              .optTest(Fixtures.test().subList(200, 500))
              .optSettings(
                  UnlearnSettings.defaults(Goal.UNSEEN).toBuilder()
                      .learningRate(BREAKING_RATE)
                      .build())
              .optProgress(lines::add)
              .run();
      assertThat(r.succeeded()).as("published a broken model: " + r.message()).isFalse();
      assertThat(r.message()).contains("held-out accuracy fell from").contains("not forgetting");
      assertThat(lines)
          .as("the run starts again at a lower learning rate before it gives up")
          .anyMatch(l -> l.contains("restarting from the original weights"));
    }
  }

  /** A learning rate at which neggrad breaks the digits CNN before its forget set looks unseen. */
  private static final float BREAKING_RATE = 0.5f;

  @Test
  void splitWithGoalUnseenIsRefusedByName() throws IOException {
    try (Classifier model = cnn()) {
      List<Sample> forget = forgetSet(model, 8);
      assertThatThrownBy(
              () ->
                  new Unlearning(model, forget)
                      .optGoal(Goal.UNSEEN)
                      .optHeldOut(Fixtures.test().subList(0, 100))
                      .optSettings(
                          UnlearnSettings.defaults(Goal.UNSEEN).toBuilder().split(4).build())
                      .run())
          .hasMessageContaining("split=4")
          .hasMessageContaining("goal unseen");
      assertThat(UnlearnSettings.defaults(Goal.UNSEEN).split())
          .as("goal unseen's default forgets in one fine-tune")
          .isZero();
    }
  }

  @Test
  void escalateMaxBelowTheForgetWeightIsRefusedByName() {
    assertThatThrownBy(
            () -> UnlearnSettings.defaults().toBuilder().forgetWeight(4f).escalateMax(2f).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("escalateMax");
  }

  @Test
  void aDivergedFineTuneRestartsAtALowerLearningRateAndLeavesTheModelIntact() throws IOException {
    try (Classifier model = cnn()) {
      List<Sample> forget = forgetSet(model, 8);
      float[] before = model.parameterValues().values().iterator().next().clone();
      double accuracyBefore = model.accuracy(Fixtures.test(), 256);
      List<String> lines = new ArrayList<>();
      Trajectory trajectory = new Trajectory();
      UnlearningResult r =
          new Unlearning(model, forget)
              .optSettings(UnlearnSettings.defaults().toBuilder().learningRate(1e6f).build())
              .optPgd(quickPgd(model))
              .optTrajectory(trajectory)
              .optProgress(lines::add)
              .run();
      assertThat(trajectory.lastStep())
          .as("the trajectory numbers the steps of every attempt, as the result counts them")
          .isEqualTo(r.steps());
      assertThat(r.succeeded()).isFalse();
      assertThat(r.message()).contains("became non-finite in 3 steps in a row");
      assertThat(lines)
          .filteredOn(l -> l.contains("restarting from the original weights"))
          .hasSize(2);
      assertThat(r.settings().learningRate()).isCloseTo(1e6f / 9f, within(1f));
      assertThat(model.parameterValues().values().iterator().next()).containsExactly(before);
      assertThat(model.accuracy(Fixtures.test(), 256)).isEqualTo(accuracyBefore);
    }
  }

  @Test
  void aStepWhoseLossIsNotFiniteIsSkippedAndTheFineTuneGoesOn() throws IOException {
    try (Classifier model = cnn()) {
      List<Sample> forget = forgetSet(model, 8);
      // One held-out image of NaN pixels: the steps whose held-out batch draws it (one in ten)
      // have a NaN loss, as the rare NaN step of a long fine-tune had. Applied, it would make
      // every weight NaN; skipped, the run goes on from the weights of the step before.
      List<Sample> heldOut = new ArrayList<>(Fixtures.test().subList(0, 99));
      Sample like = heldOut.get(0);
      float[] nan = new float[like.pixels().length];
      Arrays.fill(nan, Float.NaN);
      heldOut.add(new Sample("nan-image", like.label(), like.shape(), nan));
      List<String> lines = new ArrayList<>();
      Trajectory trajectory = new Trajectory();
      UnlearningResult r =
          new Unlearning(model, forget)
              .optSettings(UnlearnSettings.defaults().toBuilder().heldOutBatch(10).build())
              .optPgd(quickPgd(model))
              .optHeldOut(heldOut)
              .optEvaluation(false)
              .optTrajectory(trajectory)
              .optProgress(lines::add)
              .run();
      List<String> skipped =
          lines.stream().filter(l -> l.contains("the update was not applied")).toList();
      assertThat(skipped)
          .as("steps that drew the NaN image were skipped: " + lines)
          .isNotEmpty()
          .allMatch(l -> l.contains("the loss (NaN)"));
      assertThat(lines).as("no restart").noneMatch(l -> l.startsWith("the loss diverged"));
      assertThat(r.succeeded()).as("reached: " + r.message()).isTrue();
      assertThat(r.settings().learningRate())
          .as("the learning rate it started with")
          .isEqualTo(UnlearnSettings.defaults().learningRate());
      assertThat(r.forget().after()).isZero();
      assertThat(trajectory.lastStep()).as("skipped steps count").isEqualTo(r.steps());
      for (var e : model.parameterValues().entrySet()) {
        for (float v : e.getValue()) {
          assertThat(Float.isFinite(v)).as("every weight of %s finite", e.getKey()).isTrue();
        }
      }
    }
  }

  @Test
  void aStopRequestEndsTheFineTuneBetweenTwoSteps() throws IOException {
    try (Classifier model = cnn()) {
      List<Sample> forget = forgetSet(model, 8);
      Trajectory trajectory = new Trajectory();
      AtomicInteger asked = new AtomicInteger();
      // A learning rate too small to forget anything: without the stop it would run to its cap.
      Unlearning unlearning =
          new Unlearning(model, forget)
              .optSettings(
                  UnlearnSettings.defaults().toBuilder().learningRate(1e-12f).escalate(0).build())
              .optPgd(quickPgd(model))
              .optEvaluation(false)
              .optTrajectory(trajectory)
              .optProgress(line -> {})
              .optStopRequested(() -> asked.incrementAndGet() > 3);
      assertThatThrownBy(unlearning::run)
          .isInstanceOf(CancellationException.class)
          .hasMessage("the fine-tune was asked to stop after step 3");
      assertThat(asked).as("asked before each of steps 1-4").hasValue(4);
      assertThat(trajectory.lastStep()).as("steps taken").isEqualTo(3);
    }
  }

  @Test
  void aTrajectoryRecordsTheFineTuneStepByStepWithHeldOutAccuracy() throws IOException {
    try (Classifier model = cnn()) {
      List<Sample> forget = forgetSet(model, 8);
      List<Sample> heldOut = Fixtures.test().subList(0, 100);
      Trajectory t = new Trajectory(Trajectory.MAX_POINTS, 2);
      UnlearningResult r =
          new Unlearning(model, forget)
              .optPgd(quickPgd(model))
              .optHeldOut(heldOut)
              .optTrajectory(t)
              .optProgress(line -> {})
              .run();
      assertThat(r.succeeded()).as("reached: " + r.message()).isTrue();
      List<Trajectory.Point> points = t.points();
      assertThat(points).extracting(Trajectory.Point::step).as("every step").hasSize(r.steps());
      assertThat(points.get(0).forgetScore()).as("forget accuracy after step 1").isPositive();
      assertThat(points.get(points.size() - 1).forgetScore())
          .as("the last point is the result's forget accuracy")
          .isEqualTo(r.forget().after());
      assertThat(points.get(points.size() - 1).heldOutAccuracy())
          .as("held-out accuracy of the unlearned model at the last step")
          .isEqualTo(model.accuracy(heldOut, 64));
      assertThat(t.heldOutMeasures()).isEqualTo(r.steps() / 2 + 1);
      assertThat(t.score()).isEqualTo("forget accuracy");

      // Recording changes nothing: the same run without it ends with the same weights.
      try (Classifier plain = cnn()) {
        UnlearningResult p =
            new Unlearning(plain, forget)
                .optPgd(quickPgd(plain))
                .optHeldOut(heldOut)
                .optProgress(line -> {})
                .run();
        assertThat(p.steps()).as("steps without a trajectory").isEqualTo(r.steps());
        for (var e : model.parameterValues().entrySet()) {
          assertThat(plain.parameterValues().get(e.getKey()))
              .as(e.getKey())
              .containsExactly(e.getValue());
        }
      }
    }
  }

  @Test
  void withoutItsOwnEvaluationARunMeasuresOnlyTheForgetSet() throws IOException {
    try (Classifier model = cnn()) {
      List<Sample> forget = forgetSet(model, 8);
      UnlearningResult r =
          new Unlearning(model, forget)
              .optPgd(quickPgd(model))
              .optTest(Fixtures.test())
              .optEvaluation(false)
              .optProgress(line -> {})
              .run();
      assertThat(r.succeeded()).isTrue();
      assertThat(r.forget().after()).isZero();
      assertThat(r.test().present()).as("test accuracy is the caller's").isFalse();
      assertThat(r.miaBefore()).isNull();
      assertThat(r.device())
          .as("the result (and so the job's report) names where the fine-tune ran")
          .isEqualTo(Classifier.defaultDevice().toString());
    }
  }

  @Test
  void unseenGoalStopsWhenForgetLossesLookHeldOut() throws IOException {
    try (Classifier model = cnn()) {
      List<Sample> forget = forgetSet(model, 8);
      UnlearningResult r =
          new Unlearning(model, forget)
              .optGoal(Goal.UNSEEN)
              .optHeldOut(Fixtures.test().subList(0, 200))
              .optTest(Fixtures.test().subList(200, 500))
              .optPgd(quickPgd(model))
              .optProgress(line -> {})
              .run();
      assertThat(r.succeeded()).as("reached: " + r.message()).isTrue();
      double[] f = dev.lethe.eval.Evaluation.losses(model, forget, 64);
      double[] h = dev.lethe.eval.Evaluation.losses(model, Fixtures.test().subList(0, 200), 64);
      assertThat(UnlearningLoop.median(f))
          .as("forget median loss reached the held-out median")
          .isGreaterThanOrEqualTo(UnlearningLoop.median(h));
      assertThat(r.test().after())
          .as("test accuracy within a point")
          .isGreaterThan(r.test().before() - 0.01);
    }
  }

  @Test
  void heldOutImagesAreHeldAtTheOriginalOutputs() throws IOException {
    List<Sample> heldOut = Fixtures.test().subList(0, 200);
    UnlearnSettings none = UnlearnSettings.defaults().toBuilder().heldOutBatch(0).build();
    UnlearnSettings held = UnlearnSettings.defaults().toBuilder().heldOutBatch(64).build();
    assertThat(drift(held, heldOut, heldOut, "held-out images kept", 1))
        .as("mean logit change on the held-out images with 64 of them per step vs none")
        .isLessThan(drift(none, heldOut, heldOut, "held-out images kept", 0));
  }

  @Test
  void withoutAHeldOutSampleStandInsAreHeldInItsPlace() throws IOException {
    List<Sample> unseen = Fixtures.test().subList(0, 200);
    UnlearnSettings none = UnlearnSettings.defaults().toBuilder().standIns(0).build();
    UnlearnSettings standIns = UnlearnSettings.defaults().toBuilder().standIns(512).build();
    String said = "no held-out sample: 512 mixtures";
    assertThat(drift(standIns, List.of(), unseen, said, 1))
        .as("mean logit change on test images the run never saw, with 512 stand-ins vs none")
        .isLessThan(drift(none, List.of(), unseen, said, 0));
  }

  /**
   * Without a held-out sample a retain sample is held in its place, not the stand-ins: real images
   * like the model's inputs kept 6-20 points more test accuracy than stand-ins on the demo model.
   */
  @Test
  void withoutAHeldOutSampleARetainSampleIsHeldInsteadOfStandIns() throws IOException {
    List<Sample> unseen = Fixtures.test().subList(0, 200);
    List<Sample> retain = Fixtures.test().subList(200, 400);
    UnlearnSettings none = UnlearnSettings.defaults().toBuilder().heldOutBatch(0).build();
    UnlearnSettings held = UnlearnSettings.defaults().toBuilder().standIns(512).build();
    String said = "no held-out sample: the retain sample's 200 images are kept";
    double withRetain = drift(held, List.of(), retain, unseen, said, 1);
    assertThat(withRetain)
        .as("mean logit change on test images the run never saw, holding 200 retained vs none")
        .isLessThan(drift(none, List.of(), retain, unseen, said, 0));
  }

  private static double drift(
      UnlearnSettings s, List<Sample> heldOut, List<Sample> probe, String said, int lines)
      throws IOException {
    return drift(s, heldOut, List.of(), probe, said, lines);
  }

  /**
   * Unlearns 8 fixture instances with {@code s} (and {@code heldOut} and {@code retain}, when not
   * empty), checks that it forgot them and logged {@code lines} lines starting with {@code said}
   * and none about stand-ins when it has a retain sample, and returns the mean absolute change of
   * the logits on {@code probe}.
   */
  private static double drift(
      UnlearnSettings s,
      List<Sample> heldOut,
      List<Sample> retain,
      List<Sample> probe,
      String said,
      int lines)
      throws IOException {
    try (Classifier model = cnn()) {
      float[][] before = model.logits(probe, 256);
      List<String> log = new ArrayList<>();
      UnlearningResult r =
          new Unlearning(model, forgetSet(model, 8))
              .optSettings(s)
              .optHeldOut(heldOut)
              .optRetain(retain)
              .optPgd(quickPgd(model))
              .optProgress(log::add)
              .run();
      assertThat(r.succeeded()).as("reached: " + r.message()).isTrue();
      assertThat(r.forget().after()).isZero();
      assertThat(log.stream().filter(l -> l.startsWith(said))).as("lines: " + log).hasSize(lines);
      if (!retain.isEmpty()) {
        assertThat(log).noneMatch(l -> l.contains("mixtures of forget images"));
      }
      float[][] after = model.logits(probe, 256);
      double sum = 0;
      for (int i = 0; i < before.length; i++) {
        for (int c = 0; c < before[i].length; c++) {
          sum += Math.abs(after[i][c] - before[i][c]);
        }
      }
      return sum / before.length;
    }
  }

  @Test
  void refusesRetainWithoutARetainSample() throws IOException {
    try (Classifier model = cnn()) {
      Unlearning u = new Unlearning(model, forgetSet(model, 4)).optMethod(Method.RETAIN);
      assertThatThrownBy(u::run)
          .as("retain needs data")
          .isInstanceOf(SettingException.class)
          .hasMessage(
              "Cannot run method retain: it needs a sample of retained training data; give one"
                  + " (setting: retain)")
          .extracting(e -> ((SettingException) e).setting())
          .isEqualTo(Unlearning.RETAIN);
    }
  }

  @Test
  void refusesGoalUnseenWithoutAHeldOutSampleAndARelabelToTheOwnClassNamingTheSettings()
      throws IOException {
    try (Classifier model = cnn()) {
      List<Sample> forget = forgetSet(model, 4);
      assertThatThrownBy(() -> new Unlearning(model, forget).optGoal(Goal.UNSEEN).run())
          .as("goal unseen needs a held-out sample")
          .isInstanceOf(SettingException.class)
          .hasMessageEndingWith("; give one (setting: held-out)")
          .extracting(e -> ((SettingException) e).setting())
          .isEqualTo(Unlearning.HELD_OUT);
      int own = forget.get(0).label();
      assertThatThrownBy(() -> new Unlearning(model, forget).optTargetClass(own).run())
          .as("relabelling to an instance's own label")
          .isInstanceOf(SettingException.class)
          .hasMessage(
              "Cannot relabel instance "
                  + forget.get(0).id()
                  + " to class "
                  + own
                  + ": that is already its label; choose another target class (setting:"
                  + " target-class) or each instance's runner-up class (setting: targeted)")
          .extracting(e -> ((SettingException) e).setting())
          .isEqualTo(Unlearning.TARGET_CLASS);
    }
  }

  @Test
  void refusesALabelOutsideTheModelsClasses() throws IOException {
    try (Classifier model = cnn()) {
      Sample s = Fixtures.train().get(0);
      Sample bad = new Sample("x/1", 12, s.shape(), s.pixels());
      assertThatThrownBy(() -> new Unlearning(model, List.of(bad)))
          .as("label range")
          .hasMessageContaining("x/1")
          .hasMessageContaining("label 12 is outside the model's 10 classes");
    }
  }
}
