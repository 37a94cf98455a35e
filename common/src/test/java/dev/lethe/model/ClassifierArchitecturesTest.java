package dev.lethe.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lethe.data.ImageShape;
import dev.lethe.testing.Fixtures;
import java.nio.file.Path;
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
}
