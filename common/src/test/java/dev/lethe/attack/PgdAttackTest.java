package dev.lethe.attack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lethe.data.ImageShape;
import dev.lethe.data.Sample;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import dev.lethe.testing.Fixtures;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PgdAttackTest {

  private static final ImageShape DIGIT = new ImageShape(1, 8, 8);

  private static Classifier cnn;
  private static List<Sample> test;

  @BeforeAll
  static void load() throws IOException {
    cnn = Classifier.load(Fixtures.cnn(), SpecResolver.Partial.empty("test"));
    test = Fixtures.test();
  }

  @AfterAll
  static void close() {
    cnn.close();
  }

  private static PgdSettings quick() {
    return PgdSettings.defaults(DIGIT).withSteps(10).withPerInstance(3);
  }

  /** {@code n} images of uniform noise labelled 0..n-1, the same for the same seed. */
  private static List<Sample> noiseImages(ImageShape shape, int n, long seed) {
    Random random = new Random(seed);
    List<Sample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] pixels = new float[shape.size()];
      for (int k = 0; k < pixels.length; k++) {
        pixels[k] = random.nextFloat();
      }
      out.add(new Sample("img" + i, i, shape, pixels));
    }
    return out;
  }

  @Test
  void aModelWhoseInputGradientIsNanIsRefusedNotTurnedIntoNanExamples() throws IOException {
    // Finite logits, NaN input gradient (sqrt at 0; deploy/python/make_architecture_models.py).
    // Before, every example of the batch came out NaN, and the fine-tune's loss with them.
    ImageShape rgb = new ImageShape(3, 16, 16);
    java.nio.file.Path file = Fixtures.path("architectures/nan-input-gradient.pt");
    List<Sample> instances = noiseImages(rgb, 2, 1);
    try (Classifier model =
        Classifier.load(file, SpecResolver.Partial.empty("test").withInput(rgb))) {
      PgdAttack attack = new PgdAttack(model, PgdSettings.defaults(rgb).withSteps(3));
      assertThatThrownBy(() -> attack.generate(instances, 64))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "Cannot make adversarial examples with model nan-input-gradient.pt: its gradient"
                  + " with respect to the input images is NaN or infinite (PGD step 1, 3"
                  + " attempts) although its logits are finite; Lethe needs a model whose input"
                  + " gradient is finite (an operation such as sqrt or pow at 0 has none there:"
                  + " add a small epsilon inside it)");
    }
  }

  @Test
  void aFrozenDepthwiseModelGivesFiniteExamples() throws IOException {
    // libtorch 2.7.1 computes this model's input-only gradient (frozen weights, as stage A's
    // executors hold the model) with an uninitialised buffer: where that memory held a NaN, the
    // gradient had NaNs (every example of the batch NaN, in most runs of this JVM setup); glibc's
    // MALLOC_PERTURB_ or a trainable copy made them vanish. PGD computes such a gradient again.
    ImageShape rgb = new ImageShape(3, 16, 16);
    List<Sample> instances = noiseImages(rgb, 6, 2);
    try (Classifier model =
        Classifier.load(
            Fixtures.path("architectures/depthwise.pt"),
            SpecResolver.Partial.empty("test").withInput(rgb),
            Classifier.defaultDevice(),
            false)) {
      for (int round = 0; round < 2; round++) {
        List<AdversarialExample> adv =
            new PgdAttack(model, PgdSettings.defaults(rgb).withSeed(round))
                .generate(instances, 256);
        assertThat(adv).hasSize(120);
        for (AdversarialExample e : adv) {
          for (float p : e.pixels()) {
            assertThat(Float.isFinite(p)).as("a pixel of %s#%d", e.sourceId(), e.index()).isTrue();
          }
        }
        assertThat(PgdAttack.successRate(adv))
            .as("attack success, round %d", round)
            .isGreaterThan(0.9);
      }
    }
  }

  @Test
  void examplesStayInTheirBallAndInTheUnitBox() {
    PgdSettings settings = quick().withSteps(20);
    List<Sample> instances = test.subList(0, 4);
    List<AdversarialExample> examples = new PgdAttack(cnn, settings).generate(instances, 64);

    assertThat(examples).as("one example per instance and j").hasSize(12);
    for (int i = 0; i < examples.size(); i++) {
      AdversarialExample e = examples.get(i);
      Sample source = instances.get(i / 3);
      assertThat(e.sourceId()).as("instance order").isEqualTo(source.id());
      assertThat(e.index()).as("j order").isEqualTo(i % 3);
      assertThat(e.sourceLabel()).as("source label").isEqualTo(source.label());
      assertThat(e.target()).as("target of " + e).isNotEqualTo(source.label()).isBetween(0, 9);
      assertThat(l2(e.pixels(), source.pixels()))
          .as("L2 distance of " + e)
          .isLessThanOrEqualTo(settings.epsilon() + 1e-4)
          .isGreaterThan(0.1);
      for (float v : e.pixels()) {
        assertThat(v).as("pixel of " + e).isBetween(0f, 1f);
      }
      assertThat(e.toSample().label()).as("labelled with its target").isEqualTo(e.target());
      assertThat(e.toSample().id()).as("example id").isEqualTo(source.id() + "/adv/" + (i % 3));
    }
  }

  @Test
  void aStopRequestEndsTheAttackBetweenTwoSteps() {
    PgdSettings settings = quick().withSteps(20);
    AtomicInteger asked = new AtomicInteger();
    PgdAttack attack = new PgdAttack(cnn, settings).stopWhen(() -> asked.incrementAndGet() > 25);
    // Batches of 3 pairs: the first batch's 20 steps, then the sixth step of the second.
    assertThatThrownBy(() -> attack.generate(test.subList(0, 2), 3))
        .isInstanceOf(CancellationException.class)
        .hasMessage("PGD was asked to stop at step 5");
    assertThat(asked).hasValue(26);
  }

  @Test
  void defaultSettingsReachTheTargetClass() {
    PgdSettings defaults = PgdSettings.defaults(DIGIT);
    assertThat(defaults)
        .as("authors' defaults for a small gray input")
        .isEqualTo(new PgdSettings(PgdSettings.Norm.L2, 2.0f, 0.1f, 100, 20, 0L));
    List<Sample> instances = test.subList(10, 13);
    long start = System.nanoTime();
    List<AdversarialExample> examples = new PgdAttack(cnn, defaults).generate(instances, 64);
    double seconds = (System.nanoTime() - start) / 1e9;
    double rate = PgdAttack.successRate(examples);
    System.out.printf(
        "PGD defaults on %s: %d examples in %.2f s (%.0f/s), success rate %.3f%n",
        cnn.name(), examples.size(), seconds, examples.size() / seconds, rate);

    assertThat(examples).as("3 instances x N_adv 20").hasSize(60);
    assertThat(rate)
        .as("targeted success rate at the default settings")
        .isGreaterThanOrEqualTo(0.9);
    List<Sample> asSamples = examples.stream().map(AdversarialExample::toSample).toList();
    int[] predicted = cnn.predict(asSamples, 64);
    for (int i = 0; i < examples.size(); i++) {
      assertThat(predicted[i] == examples.get(i).target())
          .as("success flag of " + examples.get(i) + " agrees with a fresh prediction")
          .isEqualTo(examples.get(i).success());
    }
  }

  @Test
  void sameSeedGivesTheSameExamplesWhateverTheBatchSizeAndOrder() {
    PgdSettings settings = quick().withSeed(42).withSteps(5).withPerInstance(2);
    List<Sample> instances = test.subList(20, 24);
    PgdAttack attack = new PgdAttack(cnn, settings);
    Map<String, AdversarialExample> reference = byKey(attack.generate(instances, 1));
    List<Sample> shuffled = new ArrayList<>(instances);
    Collections.shuffle(shuffled, new Random(7));

    for (List<AdversarialExample> other :
        List.of(
            attack.generate(instances, 7),
            attack.generate(instances, 64),
            attack.generate(shuffled, 7))) {
      Map<String, AdversarialExample> byKey = byKey(other);
      assertThat(byKey.keySet()).as("same (instance, j) pairs").isEqualTo(reference.keySet());
      reference.forEach(
          (key, e) -> {
            assertThat(byKey.get(key).target()).as("target of " + key).isEqualTo(e.target());
            assertThat(byKey.get(key).pixels())
                .as("pixels of " + key)
                .containsExactly(e.pixels(), within(1e-5f));
          });
    }
  }

  @Test
  void anotherSeedGivesOtherExamples() {
    List<Sample> instances = test.subList(20, 23);
    List<AdversarialExample> a = new PgdAttack(cnn, quick()).generate(instances, 64);
    List<AdversarialExample> b = new PgdAttack(cnn, quick().withSeed(1)).generate(instances, 64);
    int sameTargets = 0;
    for (int i = 0; i < a.size(); i++) {
      assertThat(l2(a.get(i).pixels(), b.get(i).pixels()))
          .as("seed 0 vs seed 1 pixels of " + a.get(i))
          .isGreaterThan(0.01);
      if (a.get(i).target() == b.get(i).target()) {
        sameTargets++;
      }
    }
    assertThat(sameTargets).as("targets that happen to agree across seeds").isLessThan(a.size());
  }

  @Test
  void targetsCoverEveryOtherClassAndNeverTheLabel() {
    PgdSettings settings = quick().withSteps(1).withPerInstance(40);
    List<Sample> instances = test.subList(0, 10);
    List<AdversarialExample> examples = new PgdAttack(cnn, settings).generate(instances, 400);
    Map<Integer, Set<Integer>> targetsByLabel =
        examples.stream()
            .collect(
                Collectors.groupingBy(
                    AdversarialExample::sourceLabel,
                    Collectors.mapping(AdversarialExample::target, Collectors.toSet())));
    targetsByLabel.forEach(
        (label, targets) -> {
          Set<Integer> others = new HashSet<>();
          for (int c = 0; c < 10; c++) {
            if (c != label) {
              others.add(c);
            }
          }
          assertThat(targets).as("targets drawn for label " + label).isEqualTo(others);
        });
  }

  @Test
  void linfAttackStaysInItsBox() {
    PgdSettings settings =
        quick().withNorm(PgdSettings.Norm.LINF).withEpsilon(8f / 255).withStepSize(2f / 255);
    List<Sample> instances = test.subList(30, 34);
    List<AdversarialExample> examples = new PgdAttack(cnn, settings).generate(instances, 5);
    double largest = 0;
    for (int i = 0; i < examples.size(); i++) {
      float[] x = instances.get(i / 3).pixels();
      float[] adv = examples.get(i).pixels();
      for (int k = 0; k < x.length; k++) {
        largest = Math.max(largest, Math.abs(adv[k] - x[k]));
        assertThat(adv[k]).as("pixel of " + examples.get(i)).isBetween(0f, 1f);
      }
    }
    assertThat(largest)
        .as("largest pixel change under L-inf")
        .isLessThanOrEqualTo(8.0 / 255 + 1e-6)
        .isGreaterThan(4.0 / 255);
  }

  @Test
  void attackLeavesTheWeightsAlone() {
    Map<String, float[]> before = cnn.parameterValues();
    new PgdAttack(cnn, quick().withSteps(3)).generate(test.subList(0, 2), 64);
    Map<String, float[]> after = cnn.parameterValues();
    before.forEach((k, v) -> assertThat(after.get(k)).as("weights of " + k).containsExactly(v));
  }

  @Test
  void defaultRadiusScalesWithTheInputSize() {
    assertThat(PgdSettings.defaults(new ImageShape(1, 28, 28)).epsilon())
        .as("1x28x28")
        .isEqualTo(2.0f);
    assertThat(PgdSettings.defaults(new ImageShape(3, 32, 32)).epsilon())
        .as("3x32x32")
        .isEqualTo(4.0f);
    assertThat(PgdSettings.defaults(new ImageShape(3, 224, 224)).epsilon())
        .as("3x224x224")
        .isEqualTo(4.0f);
    assertThat(PgdSettings.defaults(new ImageShape(3, 28, 28)).epsilon())
        .as("3x28x28 is below 3x32x32")
        .isEqualTo(2.0f);
  }

  @Test
  void settingsRejectNonsense() {
    PgdSettings ok = PgdSettings.defaults(DIGIT);
    assertThatThrownBy(() -> ok.withEpsilon(0f))
        .as("zero radius")
        .hasMessage("Cannot use PGD epsilon 0.0: it must be a positive finite radius");
    assertThatThrownBy(() -> ok.withEpsilon(Float.NaN))
        .as("NaN radius")
        .hasMessageStartingWith("Cannot use PGD epsilon NaN");
    assertThatThrownBy(() -> ok.withStepSize(-0.1f))
        .as("negative step")
        .hasMessage("Cannot use PGD step size -0.1: it must be positive and finite");
    assertThatThrownBy(() -> ok.withSteps(0))
        .as("no steps")
        .hasMessage("Cannot use 0 PGD steps: give at least 1 step");
    assertThatThrownBy(() -> ok.withPerInstance(0))
        .as("no examples")
        .hasMessage("Cannot make 0 adversarial examples per instance: give at least 1");
  }

  @Test
  void generateRejectsBadInput() {
    PgdAttack attack = new PgdAttack(cnn, quick());
    Sample alien = test.get(0).withLabel(12);
    assertThatThrownBy(() -> attack.generate(List.of(alien), 8))
        .as("label outside the model")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot attack instance test/0: its label 12 is not a class of model digits-cnn-bn.pt"
                + " (0..9); check the label mapping of the forget set");
    assertThatThrownBy(() -> attack.generate(test.subList(0, 1), 0))
        .as("batch size")
        .hasMessage("Cannot attack in batches of 0: the batch size must be positive");
    Sample big = new Sample("big", 1, new ImageShape(1, 9, 9), new float[81]);
    assertThatThrownBy(() -> attack.generate(List.of(big), 8))
        .as("wrong shape")
        .hasMessageContaining("Cannot use sample big");
    assertThat(PgdAttack.successRate(List.of())).as("rate of nothing").isNaN();
  }

  private static Map<String, AdversarialExample> byKey(List<AdversarialExample> examples) {
    return examples.stream()
        .sorted(Comparator.comparing(AdversarialExample::id))
        .collect(Collectors.toMap(AdversarialExample::id, Function.identity()));
  }

  private static double l2(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      double d = a[i] - b[i];
      s += d * d;
    }
    return Math.sqrt(s);
  }
}
