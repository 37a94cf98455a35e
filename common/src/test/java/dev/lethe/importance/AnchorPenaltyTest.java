package dev.lethe.importance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import dev.lethe.testing.Fixtures;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AnchorPenaltyTest {

  @Test
  void autogradGradientEqualsTheAnalyticOne() throws IOException {
    try (Classifier cnn = Classifier.load(Fixtures.cnn(), SpecResolver.Partial.empty("test"))) {
      LinkedHashMap<String, float[]> original = cnn.parameterValues();
      Importance importance =
          Mas.finish(
              Mas.partialSums(cnn, Fixtures.train().subList(0, 16), MasMode.MEAN_GRADIENT, 16));
      LinkedHashMap<String, float[]> moved = new LinkedHashMap<>();
      Random random = new Random(3);
      original.forEach(
          (name, v) -> {
            float[] w = v.clone();
            for (int i = 0; i < w.length; i++) {
              w[i] += (float) (0.05 * random.nextGaussian());
            }
            moved.put(name, w);
          });

      try (AnchorPenalty penalty = new AnchorPenalty(cnn, importance, original)) {
        try (NDManager m = cnn.newBatchManager()) {
          assertThat(penalty.value(m, cnn.parameters()).getFloat()).as("penalty at θ*").isZero();
        }
        cnn.setParameterValues(moved);
        cnn.zeroGradients();
        double expectedValue = 0;
        LinkedHashMap<String, float[]> expected = new LinkedHashMap<>();
        for (String name : original.keySet()) {
          float[] keep = importance.normalised().get(name);
          float[] theta = moved.get(name);
          float[] anchor = original.get(name);
          float[] g = new float[theta.length];
          for (int i = 0; i < g.length; i++) {
            double diff = theta[i] - anchor[i];
            g[i] = (float) ((1 - keep[i]) * diff);
            expectedValue += (1 - keep[i]) * diff * diff / 2;
          }
          expected.put(name, g);
        }

        try (NDManager m = cnn.newBatchManager()) {
          NDArray value = penalty.value(m, cnn.parameters());
          assertThat(value.getManager()).as("result in the caller's manager").isSameAs(m);
          assertThat((double) value.getFloat())
              .as("L_reg value")
              .isCloseTo(expectedValue, within(1e-4 * expectedValue));
          Classifier.backward(value);
        }
        LinkedHashMap<String, float[]> analytic = penalty.gradient(cnn.parameters());
        boolean someAnchored = false;
        for (Map.Entry<String, NDArray> e : cnn.parameters().entrySet()) {
          float[] want = expected.get(e.getKey());
          try (NDArray grad = e.getValue().getGradient()) {
            assertThat(grad.toFloatArray())
                .as("autograd gradient of " + e.getKey())
                .containsExactly(want, within(1e-5f));
          }
          assertThat(analytic.get(e.getKey()))
              .as("analytic gradient of " + e.getKey())
              .containsExactly(want, within(1e-5f));
          for (float v : want) {
            someAnchored |= Math.abs(v) > 1e-3;
          }
        }
        assertThat(someAnchored).as("the perturbation is anchored somewhere").isTrue();
        cnn.zeroGradients();

        NDArray scratch = penalty.value(cnn.parameters());
        assertThat((double) scratch.getFloat())
            .as("value in the penalty's scratch manager")
            .isCloseTo(expectedValue, within(1e-4 * expectedValue));
      }
    }
  }

  @Test
  void rejectsImportanceOfAnotherModel() throws IOException {
    try (Classifier cnn = Classifier.load(Fixtures.cnn(), SpecResolver.Partial.empty("test"))) {
      LinkedHashMap<String, float[]> theta = cnn.parameterValues();
      LinkedHashMap<String, float[]> wrongSize = new LinkedHashMap<>(theta);
      wrongSize.put("fc.bias", new float[3]);
      Importance short1 = new Importance(wrongSize, wrongSize);
      assertThatThrownBy(() -> new AnchorPenalty(cnn, short1, theta))
          .as("size")
          .hasMessage(
              "Cannot anchor model digits-cnn-bn.pt: parameter fc.bias has 10 values but the"
                  + " importance have 3; compute them on the same model");
      LinkedHashMap<String, float[]> missing = new LinkedHashMap<>(theta);
      missing.remove("fc.bias");
      Importance partial = new Importance(missing, missing);
      assertThatThrownBy(() -> new AnchorPenalty(cnn, partial, theta))
          .as("names")
          .hasMessageStartingWith("Cannot anchor model digits-cnn-bn.pt: the importance cover");
    }
  }
}
