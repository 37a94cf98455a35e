package dev.lethe.unlearn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.lethe.data.Sample;
import dev.lethe.importance.AnchorPenalty;
import dev.lethe.importance.Importance;
import dev.lethe.importance.Mas;
import dev.lethe.importance.MasMode;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import dev.lethe.testing.Fixtures;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Each term of the objective against the same formula computed by hand from the logits. */
class UnlearningObjectiveTest {

  private static final int[] ALL = {0, 1, 2, 3};
  private static Classifier model;
  private static List<Sample> forget;
  private static float[][] z;

  @BeforeAll
  static void load() throws IOException {
    model = Classifier.load(Fixtures.cnn(), SpecResolver.Partial.empty("test"));
    forget = UnlearningTest.forgetSet(model, 4);
    z = model.logits(forget, 64);
  }

  @AfterAll
  static void close() {
    model.close();
  }

  private static double loss(
      UnlearningObjective objective, int[] bIdx, float forgetWeight, float unseenGap) {
    try (NDManager m = model.newBatchManager()) {
      return objective.loss(m, Classifier.Mode.EVAL, ALL, bIdx, forgetWeight, unseenGap).getFloat();
    }
  }

  private static double crossEntropy(float[] logits, int label) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (float v : logits) {
      sum += Math.exp(v - max);
    }
    return max + Math.log(sum) - logits[label];
  }

  private static double gap(float[] logits, int cls) {
    double other = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < logits.length; c++) {
      if (c != cls) {
        other = Math.max(other, logits[c]);
      }
    }
    return logits[cls] - other;
  }

  private static UnlearningObjective objective(
      UnlearnSettings s, Method method, Goal goal, List<Sample> boundary, float[][] teacher) {
    return new UnlearningObjective(model, s, method, goal, forget, null, boundary, teacher, null);
  }

  @Test
  void crossEntropyForgetTermIsGradientAscentAveragedOverTheBatch() {
    UnlearnSettings ce =
        UnlearnSettings.paper().toBuilder()
            .forgetLoss(UnlearnSettings.ForgetLoss.CROSS_ENTROPY)
            .build();
    double expected = 0;
    for (int i = 0; i < forget.size(); i++) {
      expected -= crossEntropy(z[i], forget.get(i).label());
    }
    expected /= forget.size();
    assertThat(
            loss(
                objective(ce, Method.NEGGRAD, Goal.MISCLASSIFY, List.of(), null),
                new int[0],
                1f,
                Float.NaN))
        .as("-mean CE")
        .isCloseTo(expected, within(1e-4));
  }

  @Test
  void marginForgetTermStopsAtTheMarginAndAimsAtTheHeldOutGapForGoalUnseen() {
    UnlearnSettings margin = UnlearnSettings.defaults();
    double misclassify = 0;
    double unseen = 0;
    float heldOutGap = 3f;
    for (int i = 0; i < forget.size(); i++) {
      double g = gap(z[i], forget.get(i).label());
      misclassify += Math.max(0, g + margin.margin());
      unseen += Math.max(0, g - heldOutGap + margin.margin());
    }
    UnlearningObjective mis = objective(margin, Method.NEGGRAD, Goal.MISCLASSIFY, List.of(), null);
    assertThat(loss(mis, new int[0], 1f, Float.NaN))
        .as("mean of max(0, gap + margin)")
        .isCloseTo(misclassify / 4, within(1e-4));
    assertThat(loss(mis, new int[0], 2f, Float.NaN))
        .as("an escalated forget weight scales the forget term")
        .isCloseTo(2 * misclassify / 4, within(1e-4));
    assertThat(
            loss(
                objective(margin, Method.NEGGRAD, Goal.UNSEEN, List.of(), null),
                new int[0],
                1f,
                heldOutGap))
        .as("goal unseen: the gap measured from the held-out median gap")
        .isCloseTo(unseen / 4, within(1e-4));
  }

  @Test
  void distillationBoundaryTermIsTheCrossEntropyToTheTeachersSoftmax() {
    UnlearnSettings s = UnlearnSettings.defaults();
    List<Sample> boundary = Fixtures.test().subList(0, 3);
    float[][] teacher = UnlearningObjective.teacher(model, boundary, 64);
    float[][] zb = model.logits(boundary, 64);
    double forgetTerm = 0;
    for (int i = 0; i < forget.size(); i++) {
      forgetTerm += Math.max(0, gap(z[i], forget.get(i).label()) + s.margin());
    }
    double boundaryTerm = 0;
    for (int i = 0; i < boundary.size(); i++) {
      for (int c = 0; c < teacher[i].length; c++) {
        boundaryTerm += teacher[i][c] * crossEntropy(zb[i], c);
      }
    }
    assertThat(UnlearningObjective.distills(s, Method.ADV)).isTrue();
    assertThat(UnlearningObjective.distills(s, Method.NEGGRAD))
        .as("no adversarial examples, nothing to distil")
        .isFalse();
    assertThat(
            loss(
                objective(s, Method.ADV, Goal.MISCLASSIFY, boundary, teacher),
                new int[] {0, 1, 2},
                1f,
                Float.NaN))
        .as("(forget + distillation) / (4 + 3)")
        .isCloseTo((forgetTerm + boundaryTerm) / 7, within(1e-4));
  }

  @Test
  void hardLabelBoundaryTermIsCrossEntropyTowardEachLabel() {
    UnlearnSettings s =
        UnlearnSettings.paper().toBuilder()
            .forgetLoss(UnlearnSettings.ForgetLoss.CROSS_ENTROPY)
            .build();
    List<Sample> boundary = Fixtures.test().subList(0, 2);
    float[][] zb = model.logits(boundary, 64);
    double expected = 0;
    for (int i = 0; i < forget.size(); i++) {
      expected -= crossEntropy(z[i], forget.get(i).label());
    }
    for (int i = 0; i < boundary.size(); i++) {
      expected += crossEntropy(zb[i], boundary.get(i).label());
    }
    assertThat(
            loss(
                objective(s, Method.ADV, Goal.MISCLASSIFY, boundary, null),
                new int[] {0, 1},
                1f,
                Float.NaN))
        .as("(-CE forget + CE boundary) / (4 + 2)")
        .isCloseTo(expected / 6, within(1e-4));
  }

  /**
   * The authors' code forwards the adversarial batch first and the forget batch second; in train
   * mode the second batch leaves its statistics in BatchNorm's running averages, which the
   * eval-mode stop check reads. With separate batches the objective must do the same.
   */
  @Test
  void separateBatchesForwardTheBoundaryBatchFirstAsTheAuthorsDo() throws IOException {
    UnlearnSettings s =
        UnlearnSettings.paper().toBuilder()
            .batchNorm(UnlearnSettings.BatchNormMode.TRAIN)
            .separateBatches(true)
            .build();
    List<Sample> boundary = Fixtures.test().subList(0, 6);
    List<Sample> probe = Fixtures.test().subList(6, 10);
    try (Classifier viaObjective = model.copy();
        Classifier boundaryFirst = model.copy();
        Classifier forgetFirst = model.copy()) {
      try (NDManager m = viaObjective.newBatchManager()) {
        new UnlearningObjective(
                viaObjective, s, Method.ADV, Goal.MISCLASSIFY, forget, null, boundary, null, null)
            .loss(m, Classifier.Mode.TRAIN, ALL, new int[] {0, 1, 2, 3, 4, 5}, 1f, Float.NaN);
      }
      trainForward(boundaryFirst, boundary, forget);
      trainForward(forgetFirst, forget, boundary);
      float[][] got = viaObjective.logits(probe, 64);
      float[][] expected = boundaryFirst.logits(probe, 64);
      float[][] otherOrder = forgetFirst.logits(probe, 64);
      assertThat(maxDifference(got, expected))
          .as("running statistics as after boundary batch, then forget batch")
          .isLessThan(1e-5);
      assertThat(maxDifference(expected, otherOrder))
          .as("the order matters on this model (else the test shows nothing)")
          .isGreaterThan(1e-3);
    }
  }

  /**
   * The gradient of a step must not depend on when the JVM's garbage collector runs between the
   * forward and the backward pass. It did while the objective's constants went through DJL's {@code
   * NDArray.div(Number)} and its siblings ({@link dev.lethe.model.Scalars} says why): a collection
   * there scaled every gradient by whatever the freed memory held. Every term that carries a
   * constant takes part: the forget weight, the margin and its hinge, the division by the batch
   * size, the MAS anchor with its lambda and its halving, and SCRUB's temperature, means and
   * weights.
   */
  @Test
  void theGradientIsTheSameWhenTheCollectorRunsBeforeTheBackwardPass() throws IOException {
    UnlearnSettings s = UnlearnSettings.defaults().toBuilder().lambda(1f).build();
    List<Sample> boundary = Fixtures.test().subList(0, 3);
    float[][] teacher = UnlearningObjective.teacher(model, boundary, 64);
    try (Classifier moved = model.copy()) {
      LinkedHashMap<String, float[]> original = moved.parameterValues();
      Importance importance = Mas.finish(Mas.partialSums(moved, forget, MasMode.MEAN_GRADIENT, 16));
      LinkedHashMap<String, float[]> perturbed = new LinkedHashMap<>();
      Random random = new Random(5);
      original.forEach(
          (name, v) -> {
            float[] w = v.clone();
            for (int i = 0; i < w.length; i++) {
              w[i] += (float) (0.01 * random.nextGaussian());
            }
            perturbed.put(name, w);
          });
      moved.setParameterValues(perturbed);
      try (AnchorPenalty penalty = new AnchorPenalty(moved, importance, original)) {
        assertCollectorLeavesTheGradient(
            "l2ul",
            moved,
            new UnlearningObjective(
                moved, s, Method.L2UL, Goal.MISCLASSIFY, forget, null, boundary, teacher, penalty));
      }
      UnlearnSettings scrub = UnlearnSettings.paper();
      assertCollectorLeavesTheGradient(
          "scrub",
          moved,
          new UnlearningObjective(
                  moved, scrub, Method.SCRUB, Goal.MISCLASSIFY, forget, null, List.of(), null, null)
              .withScrub(new Scrub(model, forget, boundary, List.of(), scrub, 0, 64)));
    }
  }

  private static void assertCollectorLeavesTheGradient(
      String what, Classifier c, UnlearningObjective objective) {
    float[][] quiet = gradient(c, objective, () -> {});
    float[][] collected = gradient(c, objective, UnlearningObjectiveTest::collectGarbage);
    double largest = 0;
    double difference = 0;
    for (int p = 0; p < quiet.length; p++) {
      for (int i = 0; i < quiet[p].length; i++) {
        largest = Math.max(largest, Math.abs(quiet[p][i]));
        difference = Math.max(difference, Math.abs(quiet[p][i] - collected[p][i]));
      }
    }
    assertThat(largest).as(what + ": a gradient to compare").isGreaterThan(1e-3);
    assertThat(difference)
        .as(
            what
                + ": largest difference of a gradient entry, collector run before the backward"
                + " pass")
        .isLessThanOrEqualTo(1e-6 * largest);
  }

  /**
   * Every parameter's gradient of one step's loss, in the module's order, {@code between} run
   * before the backward.
   */
  private static float[][] gradient(Classifier c, UnlearningObjective objective, Runnable between) {
    c.zeroGradients();
    try (NDManager m = c.newBatchManager()) {
      NDArray loss =
          objective.loss(
              m, Classifier.Mode.EVAL_WITH_GRAD, ALL, new int[] {0, 1, 2}, 2f, Float.NaN);
      between.run();
      Classifier.backward(loss);
      return c.parameters().values().stream()
          .map(p -> p.getGradient().toFloatArray())
          .toArray(float[][]::new);
    }
  }

  /** Runs the collector and gives the JVM's reference handler time to free direct buffers. */
  private static void collectGarbage() {
    for (int i = 0; i < 3; i++) {
      System.gc();
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static void trainForward(Classifier c, List<Sample> first, List<Sample> second) {
    try (NDManager m = c.newBatchManager()) {
      c.forward(c.batch(m, first), Classifier.Mode.TRAIN);
      c.forward(c.batch(m, second), Classifier.Mode.TRAIN);
    }
  }

  private static double maxDifference(float[][] a, float[][] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[i].length; j++) {
        max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
      }
    }
    return max;
  }
}
