package dev.lethe.unlearn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.lethe.data.Sample;
import dev.lethe.model.Classifier;
import dev.lethe.model.Losses;
import dev.lethe.model.SpecResolver;
import dev.lethe.testing.Fixtures;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SgdTest {

  private static LinkedHashMap<String, float[]> gradients(Classifier c, List<Sample> batch) {
    LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
    try (NDManager m = c.newBatchManager()) {
      NDArray logits = c.forward(c.batch(m, batch), Classifier.Mode.EVAL_WITH_GRAD);
      Classifier.backward(Losses.crossEntropyMean(logits, c.labels(m, batch)));
      c.parameters()
          .forEach(
              (k, v) -> {
                try (NDArray g = v.getGradient()) {
                  out.put(k, g.toFloatArray());
                }
              });
    }
    return out;
  }

  @Test
  void twoStepsFollowTorchSgdWithMomentumAndClearGradients() throws IOException {
    List<Sample> batch = Fixtures.train().subList(0, 32);
    try (Classifier c = Classifier.load(Fixtures.cnn(), SpecResolver.Partial.empty("t"))) {
      float lr = 0.01f;
      float mom = 0.9f;
      float wd = 0.001f;
      String name = "fc.weight";
      try (Sgd sgd = new Sgd(c, Set.copyOf(c.parameters().keySet()), lr, mom, wd)) {
        c.zeroGradients();
        float[] p0 = c.parameterValues().get(name);
        float[] g1 = gradients(c, batch).get(name);
        sgd.step();
        float[] p1 = c.parameterValues().get(name);
        float[] buf = new float[p0.length];
        for (int i = 0; i < p0.length; i++) {
          buf[i] = g1[i] + wd * p0[i];
          assertThat(p1[i])
              .as("step 1, " + name + "[" + i + "]")
              .isCloseTo(p0[i] - lr * buf[i], within(1e-6f));
        }
        try (NDArray g = c.parameters().get(name).getGradient()) {
          assertThat(g.abs().sum().getFloat()).as("gradient cleared after the step").isZero();
        }
        float[] g2 = gradients(c, batch).get(name);
        sgd.step();
        float[] p2 = c.parameterValues().get(name);
        for (int i = 0; i < p0.length; i++) {
          float b2 = mom * buf[i] + g2[i] + wd * p1[i];
          assertThat(p2[i])
              .as("step 2, " + name + "[" + i + "]")
              .isCloseTo(p1[i] - lr * b2, within(1e-6f));
        }
      }
    }
  }

  @Test
  void aGradientWithOneInfiniteEntryIsDiscardedAndMomentumIsUntouched() throws IOException {
    List<Sample> batch = Fixtures.train().subList(0, 32);
    try (Classifier c = Classifier.load(Fixtures.cnn(), SpecResolver.Partial.empty("t"))) {
      float lr = 0.01f;
      String name = "fc.weight";
      List<String> names = List.copyOf(c.parameters().keySet());
      try (Sgd sgd = new Sgd(c, Set.copyOf(names), lr, 0.9f, 0f)) {
        c.zeroGradients();
        LinkedHashMap<String, float[]> before = c.parameterValues();
        gradients(c, batch);
        // One entry of the first parameter's gradient, every other gradient finite.
        try (NDArray g = c.parameters().get(names.get(0)).getGradient()) {
          g.set(new NDIndex("0"), Float.POSITIVE_INFINITY);
        }
        assertThat(sgd.step()).as("step with an infinite gradient entry").isFalse();
        LinkedHashMap<String, float[]> after = c.parameterValues();
        for (String n : names) {
          assertThat(after.get(n)).as(n + " after the discarded step").isEqualTo(before.get(n));
          try (NDArray g = c.parameters().get(n).getGradient()) {
            assertThat(g.abs().sum().getFloat()).as(n + "'s gradient cleared").isZero();
          }
        }
        // The next finite step starts from an empty momentum buffer: p - lr * g.
        float[] g1 = gradients(c, batch).get(name);
        assertThat(sgd.step()).as("the next, finite step").isTrue();
        float[] p1 = c.parameterValues().get(name);
        float[] p0 = before.get(name);
        for (int i = 0; i < p0.length; i++) {
          assertThat(p1[i]).as(name + "[" + i + "]").isCloseTo(p0[i] - lr * g1[i], within(1e-6f));
        }
      }
    }
  }
}
