package dev.lethe.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lethe.attack.AdversarialExample;
import dev.lethe.attack.PgdAttack;
import dev.lethe.attack.PgdSettings;
import dev.lethe.data.ImageShape;
import dev.lethe.data.Sample;
import dev.lethe.testing.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Architectures whose outputs differ from a plain classifier's (deploy/python/
 * make_architecture_models.py, 3x16x16 RGB, no sidecar): each is refused naming the model and the
 * fix, instead of failing inside DJL or being fine-tuned on the wrong tensor.
 */
class ClassifierArchitecturesTest {

  private static final SpecResolver.Partial RGB =
      SpecResolver.Partial.empty("test options").withInput(new ImageShape(3, 16, 16));

  private static Path model(String name) {
    return Fixtures.path("architectures/" + name + ".pt");
  }

  @Test
  void aScriptedGoogLeNetStyleModelReturningNoneIsRefusedNamingTheWrapper() {
    // (logits, None) in eval mode, as torchvision's GoogLeNet and Inception v3 once scripted.
    // Before: "Unexpected failure: java.lang.UnsupportedOperationException: Unsupported IValue
    // type."
    assertThatThrownBy(() -> Classifier.load(model("aux-optional"), RGB))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot use model "
                + model("aux-optional")
                + ": its forward returns something besides tensors (e.g. a tuple holding None, as"
                + " torchvision's GoogLeNet and Inception v3 do once scripted: (logits, None) in"
                + " eval mode), not one tensor of logits; script a wrapper whose forward returns"
                + " the logits only (return self.model(x)[0])");
  }

  @Test
  void aOneLogitBinaryClassifierIsRefusedNamingTheTwoLogitWrapper() {
    // Before: "Cannot use a model with 1 classes: a classifier needs at least 2".
    assertThatThrownBy(() -> Classifier.load(model("one-logit"), RGB))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot use model "
                + model("one-logit")
                + ": it returns one logit per image (a binary classifier read through a sigmoid),"
                + " and one logit cannot be moved to another class; Lethe needs one logit per"
                + " class: script a wrapper that returns torch.cat([torch.zeros_like(z), z], 1)"
                + " for the model's logit z, whose softmax is (1 - sigmoid(z), sigmoid(z)), and"
                + " label the classes 0 and 1");
  }

  @Test
  void aModelReturningAuxiliaryLogitsOnlyInTrainModeIsRefusedThereNotMisread() throws Exception {
    // (aux, logits) in train mode, logits in eval mode. Before, train mode (batch-norm=train,
    // presets paper and calibrate) fine-tuned the auxiliary head as if it were the logits.
    try (Classifier c = Classifier.load(model("aux-first"), RGB);
        NDManager m = c.newBatchManager()) {
      NDArray x = m.zeros(new Shape(2, 3, 16, 16));
      assertThat(c.forward(x, Classifier.Mode.EVAL).getShape()).isEqualTo(new Shape(2, 10));
      assertThatThrownBy(() -> c.forward(x, Classifier.Mode.TRAIN))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "Cannot fine-tune model aux-first.pt in train mode: its forward returns 2 tensors"
                  + " in train mode (auxiliary logits, as GoogLeNet and Inception v3 return while"
                  + " training) but one in eval mode, so Lethe cannot tell which holds the logits;"
                  + " script a wrapper whose forward returns the main logits only in train mode"
                  + " too, or fine-tune in eval mode (--set batch-norm=frozen, the default of"
                  + " preset lethe)");
    }
  }

  /**
   * Forwards and PGD's input gradients take images held channels-last when the model gives the same
   * logits for them (faster in libtorch 2.7.1). On a non-square input a layout mistake (H and W
   * swapped) would change the logits and the gradient, so both are compared with the plain ones.
   */
  @Test
  void logitsAndInputGradientsFromChannelsLastImagesEqualThePlainOnes() throws Exception {
    ImageShape wide = new ImageShape(3, 16, 24);
    try (Classifier c =
            Classifier.load(
                model("depthwise"), SpecResolver.Partial.empty("test options").withInput(wide));
        NDManager m = c.newBatchManager()) {
      assertThat(c.channelsLast())
          .as("a convolutional model with adaptive pooling takes channels-last images")
          .isTrue();
      long n = 4L * wide.size();
      NDArray x = m.arange(0f, n, 1f).muli(0.618f).sin().abs().reshape(4, 3, 16, 24);
      NDArray y = m.create(new long[] {0, 3, 5, 9});
      float[] logits = c.forward(x, Classifier.Mode.EVAL).toFloatArray();
      assertThat(logits)
          .as("channels-last logits against the plain ones")
          .containsExactly(c.forward(x, Classifier.Mode.EVAL, false).toFloatArray(), within(1e-4f));
      float[] before = x.toFloatArray();
      float[] held = finite(() -> grad(c, x, y, true));
      float[] plain = finite(() -> grad(c, x, y, false));
      assertThat(x.toFloatArray()).as("the images are left as they were").containsExactly(before);
      assertThat(held).as("channels-last gradient against the plain one").hasSize((int) n);
      float largest = 0f;
      for (float v : plain) {
        largest = Math.max(largest, Math.abs(v));
      }
      assertThat(largest).as("a gradient to compare").isGreaterThan(1e-3f);
      assertThat(held).containsExactly(plain, within(largest * 1e-4f));
    }
  }

  @Test
  void aModelThatFlattensWithViewKeepsPlainImagesAndIsAttacked() throws Exception {
    // x.view(x.size(0), -1) fails on activations held channels-last; the load's probe sees that.
    try (Classifier c = Classifier.load(model("view-flatten"), RGB);
        NDManager m = c.newBatchManager()) {
      assertThat(c.channelsLast()).as("view-flatten takes channels-last images").isFalse();
      NDArray x = m.zeros(new Shape(2, 3, 16, 16));
      NDArray y = m.create(new long[] {0, 1});
      assertThatThrownBy(() -> grad(c, x, y, true))
          .as("why: the view fails on channels-last activations")
          .isInstanceOf(EngineException.class)
          .hasMessageContaining("view size is not compatible");
      List<Sample> images = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        float[] px = new float[RGB.input().size()];
        for (int k = 0; k < px.length; k++) {
          px[k] = (float) Math.abs(Math.sin(0.37 * (k + 101 * i)));
        }
        images.add(new Sample("noise-" + i, i, RGB.input(), px));
      }
      List<AdversarialExample> adv =
          new PgdAttack(c, PgdSettings.defaults(RGB.input()).withSeed(0).withSteps(20))
              .generate(images, 64);
      assertThat(adv).as("examples of every image").hasSize(3 * 20);
    }
  }

  private static float[] grad(Classifier c, NDArray x, NDArray y, boolean heldLast) {
    try (NDArray g = c.inputGradient(x, logits -> Losses.crossEntropySum(logits, y), heldLast)) {
      return g.toFloatArray();
    }
  }

  /**
   * The first of three gradients with no NaN: libtorch 2.7.1 now and then returns a NaN input
   * gradient for small CNNs, which PGD computes again (PgdAttack.finiteGradient).
   */
  private static float[] finite(Supplier<float[]> gradient) {
    float[] g = gradient.get();
    for (int attempt = 1; attempt < 3 && !allFinite(g); attempt++) {
      g = gradient.get();
    }
    return g;
  }

  private static boolean allFinite(float[] values) {
    for (float v : values) {
      if (!Float.isFinite(v)) {
        return false;
      }
    }
    return true;
  }
}
