package dev.lethe.importance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import dev.lethe.data.ImageShape;
import dev.lethe.data.Sample;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import dev.lethe.testing.Fixtures;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MasTest {

  private static Classifier mlp;
  private static Classifier cnn;
  private static List<Sample> forget;

  @BeforeAll
  static void load() throws IOException {
    mlp =
        Classifier.load(
            Fixtures.mlp(),
            SpecResolver.Partial.empty("test").withInput(new ImageShape(1, 8, 8)),
            Classifier.defaultDevice(),
            true);
    cnn = Classifier.load(Fixtures.cnn(), SpecResolver.Partial.empty("test"));
    forget = Fixtures.train().subList(0, 12);
  }

  @AfterAll
  static void close() {
    mlp.close();
    cnn.close();
  }

  @Test
  void meanGradientImportanceMatchesHandDerivedGradients() {
    Importance importance = Mas.finish(Mas.partialSums(mlp, forget, MasMode.MEAN_GRADIENT, 5));
    assertMatches(importance.omega(), handDerived(forget, MasMode.MEAN_GRADIENT), "MEAN_GRADIENT");
  }

  @Test
  void perSampleImportanceMatchesHandDerivedGradients() {
    Importance importance = Mas.finish(Mas.partialSums(mlp, forget, MasMode.PER_SAMPLE, 5));
    assertMatches(importance.omega(), handDerived(forget, MasMode.PER_SAMPLE), "PER_SAMPLE");
  }

  @Test
  void partialSumsOfTwoHalvesEqualTheWhole() {
    for (MasMode mode : MasMode.values()) {
      ImportanceSums whole = Mas.partialSums(cnn, forget, mode, 12);
      ImportanceSums halves =
          Mas.partialSums(cnn, forget.subList(0, 5), mode, 2)
              .plus(Mas.partialSums(cnn, forget.subList(5, 12), mode, 4));
      assertThat(halves.count()).as(mode + " count").isEqualTo(12);
      assertThat(halves.mode()).as(mode + " mode").isEqualTo(mode);
      assertThat(halves.sums().keySet()).as(mode + " names").isEqualTo(whole.sums().keySet());
      whole
          .sums()
          .forEach(
              (name, sum) ->
                  assertThat(halves.sums().get(name))
                      .as(mode + " sums of " + name)
                      .containsExactly(sum, within(1e-5f * (1 + largest(sum)))));
      Importance importance = Mas.finish(whole);
      importance
          .normalised()
          .forEach(
              (name, n) -> {
                float low = 1f;
                for (float v : n) {
                  assertThat(v).as(mode + " normalised " + name).isBetween(0f, 1f);
                  low = Math.min(low, v);
                }
                assertThat(low).as(mode + " min of normalised " + name).isZero();
                assertThat(largest(n)).as(mode + " max of normalised " + name).isEqualTo(1f);
              });
    }
  }

  @Test
  void partialSumsLeaveNoGradientBehind() {
    Mas.partialSums(cnn, forget.subList(0, 3), MasMode.PER_SAMPLE, 2);
    Mas.partialSums(cnn, forget.subList(0, 3), MasMode.MEAN_GRADIENT, 2);
    for (Map.Entry<String, NDArray> e : cnn.parameters().entrySet()) {
      try (NDArray grad = e.getValue().getGradient()) {
        assertThat(grad.abs().sum().getFloat()).as("gradient of " + e.getKey()).isZero();
      }
    }
  }

  @Test
  void finishDividesByTheCountAndTakesTheAbsoluteMean() {
    LinkedHashMap<String, float[]> sums = new LinkedHashMap<>();
    sums.put("w", new float[] {-6f, 3f, 0f, 1.5f});
    sums.put("b", new float[] {-6f, 6f});
    Importance mean = Mas.finish(new ImportanceSums(MasMode.MEAN_GRADIENT, 3, sums));
    assertThat(mean.omega().get("w")).as("|sum|/k").containsExactly(2f, 1f, 0f, 0.5f);
    assertThat(mean.normalised().get("w")).as("min-max").containsExactly(1f, 0.5f, 0f, 0.25f);
    assertThat(mean.omega().get("b")).as("|sum|/k of b").containsExactly(2f, 2f);
    assertThat(mean.normalised().get("b")).as("constant tensor").containsExactly(0f, 0f);

    LinkedHashMap<String, float[]> absSums = new LinkedHashMap<>();
    absSums.put("w", new float[] {8f, 4f, 2f});
    Importance perSample = Mas.finish(new ImportanceSums(MasMode.PER_SAMPLE, 4, absSums));
    assertThat(perSample.omega().get("w")).as("sum/k").containsExactly(2f, 1f, 0.5f);
    assertThat(perSample.normalised().get("w"))
        .as("min-max of sum/k")
        .containsExactly(1f, 1f / 3, 0f);
  }

  @Test
  void constantTensorNormalisesToZeroWithoutNaN() {
    LinkedHashMap<String, float[]> sums = new LinkedHashMap<>();
    sums.put("zero", new float[] {0f, 0f, 0f});
    sums.put("same", new float[] {7f, 7f});
    sums.put("one", new float[] {5f});
    Importance importance = Mas.finish(new ImportanceSums(MasMode.MEAN_GRADIENT, 2, sums));
    assertThat(importance.normalised().get("zero")).as("all-zero tensor").containsExactly(0, 0, 0);
    assertThat(importance.normalised().get("same")).as("constant tensor").containsExactly(0, 0);
    assertThat(importance.normalised().get("one")).as("single value").containsExactly(0);
    assertThat(importance.omega().get("same"))
        .as("raw importance kept")
        .containsExactly(3.5f, 3.5f);
  }

  @Test
  void rejectsWhatCannotBeAdded() {
    LinkedHashMap<String, float[]> a = new LinkedHashMap<>();
    a.put("w", new float[2]);
    LinkedHashMap<String, float[]> b = new LinkedHashMap<>();
    b.put("v", new float[2]);
    LinkedHashMap<String, float[]> c = new LinkedHashMap<>();
    c.put("w", new float[3]);
    ImportanceSums sums = new ImportanceSums(MasMode.MEAN_GRADIENT, 1, a);
    assertThatThrownBy(() -> sums.plus(new ImportanceSums(MasMode.PER_SAMPLE, 1, a)))
        .as("modes")
        .hasMessage(
            "Cannot add importance sums: one was made with MEAN_GRADIENT and the other with"
                + " PER_SAMPLE; compute every partition with the same MAS mode");
    assertThatThrownBy(() -> sums.plus(new ImportanceSums(MasMode.MEAN_GRADIENT, 1, b)))
        .as("names")
        .hasMessageContaining("parameter w meets v");
    assertThatThrownBy(() -> sums.plus(new ImportanceSums(MasMode.MEAN_GRADIENT, 1, c)))
        .as("sizes")
        .hasMessageContaining("parameter w has 2 values in one and 3 in the other");
    assertThat(ImportanceSums.empty(MasMode.MEAN_GRADIENT, a).plus(sums))
        .as("empty is neutral")
        .isEqualTo(sums);
    assertThatThrownBy(() -> Mas.finish(ImportanceSums.empty(MasMode.PER_SAMPLE, a)))
        .as("no instances")
        .hasMessageStartingWith("Cannot compute weight importance: no forget instance");
  }

  @Test
  void rejectsAFrozenModel() throws IOException {
    try (Classifier frozen =
        Classifier.load(
            Fixtures.cnn(), SpecResolver.Partial.empty("t"), Classifier.defaultDevice(), false)) {
      assertThatThrownBy(() -> Mas.partialSums(frozen, forget, MasMode.MEAN_GRADIENT, 4))
          .as("frozen weights")
          .hasMessage(
              "Cannot compute weight importance on model digits-cnn-bn.pt: its weights are"
                  + " frozen; load it with trainable = true");
    }
  }

  /**
   * Ω of the MLP fc2(relu(fc1(x))) by back-propagation written out in double: with logits z and u =
   * z/||z|| (or 2z for the squared norm), ∂/∂fc2.weight = u h^T, ∂/∂fc2.bias = u, and with a =
   * (fc2.weight^T u) ⊙ [fc1 pre-activation > 0], ∂/∂fc1.weight = a x^T, ∂/∂fc1.bias = a.
   */
  private static Map<String, double[]> handDerived(List<Sample> samples, MasMode mode) {
    Map<String, float[]> p = mlp.parameterValues();
    assertThat(p.keySet())
        .as("MLP parameters")
        .containsExactly("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias");
    float[] w1 = p.get("fc1.weight");
    float[] b1 = p.get("fc1.bias");
    float[] w2 = p.get("fc2.weight");
    float[] b2 = p.get("fc2.bias");
    int in = 64;
    int hidden = b1.length;
    int out = b2.length;
    Map<String, double[]> acc = new LinkedHashMap<>();
    acc.put("fc1.weight", new double[w1.length]);
    acc.put("fc1.bias", new double[b1.length]);
    acc.put("fc2.weight", new double[w2.length]);
    acc.put("fc2.bias", new double[b2.length]);
    for (Sample s : samples) {
      float[] x = s.pixels();
      double[] pre = new double[hidden];
      double[] h = new double[hidden];
      for (int j = 0; j < hidden; j++) {
        double v = b1[j];
        for (int i = 0; i < in; i++) {
          v += w1[j * in + i] * (double) x[i];
        }
        pre[j] = v;
        h[j] = Math.max(0, v);
      }
      double[] z = new double[out];
      double norm = 0;
      for (int k = 0; k < out; k++) {
        double v = b2[k];
        for (int j = 0; j < hidden; j++) {
          v += w2[k * hidden + j] * h[j];
        }
        z[k] = v;
        norm += v * v;
      }
      norm = Math.sqrt(norm);
      double[] u = new double[out];
      for (int k = 0; k < out; k++) {
        u[k] = mode == MasMode.MEAN_GRADIENT ? z[k] / norm : 2 * z[k];
      }
      double[] a = new double[hidden];
      for (int j = 0; j < hidden; j++) {
        double v = 0;
        for (int k = 0; k < out; k++) {
          v += w2[k * hidden + j] * u[k];
        }
        a[j] = pre[j] > 0 ? v : 0;
      }
      Map<String, double[]> g = new LinkedHashMap<>();
      double[] gw2 = new double[w2.length];
      for (int k = 0; k < out; k++) {
        for (int j = 0; j < hidden; j++) {
          gw2[k * hidden + j] = u[k] * h[j];
        }
      }
      double[] gw1 = new double[w1.length];
      for (int j = 0; j < hidden; j++) {
        for (int i = 0; i < in; i++) {
          gw1[j * in + i] = a[j] * x[i];
        }
      }
      g.put("fc1.weight", gw1);
      g.put("fc1.bias", a);
      g.put("fc2.weight", gw2);
      g.put("fc2.bias", u);
      g.forEach(
          (name, grad) -> {
            double[] sum = acc.get(name);
            for (int i = 0; i < sum.length; i++) {
              sum[i] += mode == MasMode.MEAN_GRADIENT ? grad[i] : Math.abs(grad[i]);
            }
          });
    }
    acc.values()
        .forEach(
            sum -> {
              for (int i = 0; i < sum.length; i++) {
                sum[i] = Math.abs(sum[i]) / samples.size();
              }
            });
    return acc;
  }

  private static void assertMatches(
      Map<String, float[]> actual, Map<String, double[]> expected, String mode) {
    assertThat(actual.keySet()).as(mode + " names").isEqualTo(expected.keySet());
    expected.forEach(
        (name, want) -> {
          float[] wantF = new float[want.length];
          double scale = 0;
          for (int i = 0; i < want.length; i++) {
            wantF[i] = (float) want[i];
            scale = Math.max(scale, want[i]);
          }
          assertThat(scale).as(mode + " " + name + " has some importance").isGreaterThan(1e-3);
          assertThat(actual.get(name))
              .as(mode + " Ω of " + name + " vs hand-derived gradient")
              .containsExactly(wantF, within((float) (1e-4 * scale)));
        });
  }

  private static float largest(float[] values) {
    float m = 0;
    for (float v : values) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }
}
