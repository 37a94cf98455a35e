package dev.lethe.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lethe.data.ImageShape;
import dev.lethe.data.Sample;
import dev.lethe.failure.SettingException;
import dev.lethe.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassifierTest {

  private static final SpecResolver.Partial NONE = SpecResolver.Partial.empty("test options");

  @TempDir Path tmp;

  @Test
  void readsTheSidecarSpec() throws IOException {
    try (Classifier c = Classifier.load(Fixtures.cnn(), NONE)) {
      assertThat(c.spec().input()).as("input shape").isEqualTo(new ImageShape(1, 8, 8));
      assertThat(c.spec().numClasses()).as("classes").isEqualTo(10);
      assertThat(c.spec().mean()).as("mean").containsExactly(0.30f);
      assertThat(c.spec().classNames()).as("class names").hasSize(10).startsWith("0", "1");
    }
  }

  /**
   * The fine-tune (driver) and the executors load through {@link Classifier#defaultDevice()}: DJL's
   * default device, which is its first GPU when a CUDA libtorch sees one (-Pcuda) and the CPU here.
   */
  @Test
  void loadsOnDjlsDefaultDevice() throws IOException {
    try (Classifier c = Classifier.load(Fixtures.cnn(), NONE)) {
      assertThat(Classifier.defaultDevice())
          .as("Lethe's default device")
          .isEqualTo(Engine.getEngine("PyTorch").defaultDevice());
      assertThat(c.device()).as("where the weights live").isEqualTo(Classifier.defaultDevice());
      assertThat(c.parameters().values())
          .as("every trainable parameter on that device")
          .allSatisfy(p -> assertThat(p.getDevice()).isEqualTo(Classifier.defaultDevice()));
    }
  }

  @Test
  void infersClassesOfAPlainModelByProbing() throws IOException {
    SpecResolver.Partial shapeOnly = NONE.withInput(new ImageShape(1, 8, 8));
    try (Classifier c = Classifier.load(Fixtures.mlp(), shapeOnly)) {
      assertThat(c.spec().numClasses()).as("probed classes").isEqualTo(10);
      assertThat(c.spec().normalises()).as("no normalisation without a sidecar").isFalse();
    }
  }

  @Test
  void logitsEqualPyTorchs() throws IOException {
    JsonNode ref = Fixtures.reference();
    List<Sample> probe = Fixtures.test().subList(0, ref.get("count").asInt());
    try (Classifier cnn = Classifier.load(Fixtures.cnn(), NONE);
        Classifier mlp = Classifier.load(Fixtures.mlp(), NONE.withInput(new ImageShape(1, 8, 8)))) {
      assertThat(flatten(cnn.logits(probe, 7)))
          .as("cnn logits vs PyTorch")
          .containsExactly(Fixtures.floats(ref.get("cnn_logits")), within(1e-4f));
      assertThat(flatten(mlp.logits(probe, 32)))
          .as("mlp logits vs PyTorch")
          .containsExactly(Fixtures.floats(ref.get("mlp_logits")), within(1e-4f));
    }
  }

  @Test
  void inputGradientEqualsPyTorchAutograd() throws IOException {
    JsonNode ref = Fixtures.reference();
    List<Sample> probe = Fixtures.test().subList(0, ref.get("count").asInt());
    try (Classifier cnn = Classifier.load(Fixtures.cnn(), NONE);
        NDManager m = cnn.newBatchManager()) {
      NDArray x = cnn.batch(m, probe);
      NDArray y = cnn.labels(m, probe);
      NDArray grad = cnn.inputGradient(x, logits -> Losses.crossEntropySum(logits, y));
      assertThat(grad.toFloatArray())
          .as("d sum CE / d input vs PyTorch autograd")
          .containsExactly(Fixtures.floats(ref.get("cnn_input_grad_sum_ce")), within(1e-4f));
      for (NDArray p : cnn.parameters().values()) {
        assertThat(p.hasGradient()).as("weights stay out of autograd during an attack").isTrue();
        try (NDArray g = p.getGradient()) {
          assertThat(g.abs().sum().getFloat()).as("no gradient leaked into weights").isZero();
        }
      }
    }
  }

  @Test
  void parametersRoundTripThroughFloatArrays() throws IOException {
    try (Classifier c = Classifier.load(Fixtures.cnn(), NONE)) {
      LinkedHashMap<String, float[]> before = c.parameterValues();
      assertThat(before.keySet())
          .as("named trainable parameters, BatchNorm included")
          .contains("conv1.weight", "bn1.weight", "bn1.bias", "fc.weight", "fc.bias");
      float[] w = before.get("fc.bias").clone();
      w[0] += 1f;
      c.setParameterValues(Map.of("fc.bias", w));
      assertThat(c.parameterValues().get("fc.bias")).as("written value").containsExactly(w);
      assertThatThrownBy(() -> c.setParameterValues(Map.of("nope.weight", new float[1])))
          .as("unknown parameter")
          .hasMessageContaining("nope.weight");
      assertThatThrownBy(() -> c.setParameterValues(Map.of("fc.bias", new float[3])))
          .as("wrong size")
          .hasMessageContaining("fc.bias: it has 10 values but 3 were given");
    }
  }

  @Test
  void savedModelReloadsWithTheSameWeightsAndOutputs() throws IOException {
    Path out = tmp.resolve("saved.pt");
    Files.copy(Fixtures.path("digits-cnn-bn.lethe.json"), tmp.resolve("saved.lethe.json"));
    List<Sample> probe = Fixtures.test().subList(0, 16);
    try (Classifier c = Classifier.load(Fixtures.cnn(), NONE)) {
      c.save(out);
      try (Classifier back = Classifier.load(out, NONE)) {
        LinkedHashMap<String, float[]> a = c.parameterValues();
        LinkedHashMap<String, float[]> b = back.parameterValues();
        assertThat(b.keySet()).as("names").containsExactlyElementsOf(a.keySet());
        a.forEach((k, v) -> assertThat(b.get(k)).as(k).containsExactly(v));
        assertThat(flatten(back.logits(probe, 16)))
            .as("reloaded logits")
            .containsExactly(flatten(c.logits(probe, 16)));
      }
    }
  }

  @Test
  void rejectsACorruptModelNamingTheFile() throws IOException {
    Path bad = tmp.resolve("broken.pt");
    Files.write(bad, new byte[] {1, 2, 3, 4, 5});
    assertThatThrownBy(() -> Classifier.load(bad, NONE.withInput(new ImageShape(1, 8, 8))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Cannot load model " + bad)
        .hasMessageContaining("torch.jit.save");
  }

  @Test
  void rejectsAWrongInputShapeNamingIt() {
    assertThatThrownBy(
            () -> Classifier.load(Fixtures.mlp(), NONE.withInput(new ImageShape(1, 5, 5))))
        .isInstanceOf(SettingException.class)
        .hasMessageContaining("1x5x5")
        .hasMessageContaining("(setting: input-shape)")
        .hasMessageNotContaining("--")
        .extracting(e -> ((SettingException) e).setting())
        .as("the setting that mends it")
        .isEqualTo(Classifier.INPUT_SHAPE);
  }

  @Test
  void demandsAnInputShapeForAPlainModel() {
    assertThatThrownBy(() -> Classifier.load(Fixtures.mlp(), NONE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("input shape is unknown")
        .hasMessageContaining("digits-mlp.lethe.json");
  }

  @Test
  void rejectsASidecarThatDisagreesWithOptions() {
    assertThatThrownBy(() -> Classifier.load(Fixtures.cnn(), NONE.withNumClasses(7)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("number of classes")
        .hasMessageContaining("digits-cnn-bn.lethe.json");
  }

  static float[] flatten(float[][] rows) {
    int n = 0;
    for (float[] r : rows) {
      n += r.length;
    }
    float[] out = new float[n];
    int i = 0;
    for (float[] r : rows) {
      System.arraycopy(r, 0, out, i, r.length);
      i += r.length;
    }
    return out;
  }
}
