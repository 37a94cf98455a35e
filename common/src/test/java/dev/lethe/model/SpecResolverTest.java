package dev.lethe.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lethe.data.ImageShape;
import dev.lethe.data.Resize;
import dev.lethe.data.Sample;
import dev.lethe.testing.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which JSON file next to a model is Lethe's sidecar: {@code model.lethe.json}; the old name {@code
 * model.json} only when it looks like Lethe's (every key one Lethe writes, with the right type);
 * any other {@code model.json} (another tool's training metadata) is ignored, never half-read.
 */
class SpecResolverTest {

  private static final SpecResolver.Partial NONE = SpecResolver.Partial.empty("test options");
  private static final ImageShape DIGITS = new ImageShape(1, 8, 8);

  /** Training metadata another tool wrote as {@code model.json}. */
  private static final String FOREIGN =
      "{\"epochs\": 3, \"lr\": 0.1, \"input\": {\"shape\": [1, 8, 8]}, \"classes\": 10}";

  @TempDir Path tmp;

  private Path model() throws IOException {
    return Files.copy(Fixtures.cnn(), tmp.resolve("m.pt"));
  }

  private static String letheSidecar() throws IOException {
    return Files.readString(Fixtures.path("digits-cnn-bn.lethe.json"));
  }

  @Test
  void aSidecarsResizeIsReadKeptInTheDerivedSidecarAndConflictsNamed() {
    SpecResolver.Partial read =
        SpecResolver.readSidecar(
            json(
                "{\"input\": {\"channels\": 3, \"height\": 224, \"width\": 224}, \"resize\": 256}"),
            "s.json");
    assertThat(read.resize()).isEqualTo(new Resize(256));
    ModelSpec spec = read.toSpec(10);
    assertThat(new String(SpecResolver.derivedSidecar(spec, null), StandardCharsets.UTF_8))
        .contains("\"resize\" : 256");
    assertThat(SpecResolver.Partial.of(spec, "copy").toSpec(10)).isEqualTo(spec);
    assertThat(SpecResolver.describe(spec, read))
        .contains(
            "images resized to a shorter side of 256 (bilinear, as PIL) and centre-cropped to"
                + " 224x224 (from sidecar s.json)");

    SpecResolver.Partial option =
        SpecResolver.Partial.empty("option --resize").withResize(new Resize(224));
    assertThatThrownBy(() -> SpecResolver.merge(read, option))
        .hasMessage(
            "Cannot resolve the model's resize: sidecar s.json says 256 but option --resize says"
                + " 224; remove or correct one of them");
    assertThatThrownBy(() -> SpecResolver.readSidecar(json("{\"resize\": \"256\"}"), "t.json"))
        .hasMessageContaining(
            "Cannot read model sidecar t.json: \"resize\" must be torchvision's Resize argument");
    assertThatThrownBy(() -> SpecResolver.readSidecar(json("{\"resize\": [3, 2, 1]}"), "t.json"))
        .hasMessageContaining("or the height and width, e.g. [224, 224]");
  }

  @Test
  void aSidecarsExactResizeIsReadAsTorchvisionsHeightAndWidthAndKept() {
    SpecResolver.Partial read =
        SpecResolver.readSidecar(
            json(
                "{\"input\": {\"channels\": 3, \"height\": 224, \"width\": 224},"
                    + " \"resize\": [240, 320]}"),
            "s.json");
    assertThat(read.resize()).isEqualTo(Resize.exact(240, 320));
    ModelSpec spec = read.toSpec(10);
    String derived = new String(SpecResolver.derivedSidecar(spec, null), StandardCharsets.UTF_8);
    assertThat(derived).containsPattern("\"resize\" : \\[ 240, 320 \\]");
    assertThat(SpecResolver.readSidecar(json(derived), "derived").resize())
        .isEqualTo(Resize.exact(240, 320));
    assertThat(SpecResolver.describe(spec, read))
        .contains(
            "images resized to 240x320 (bilinear, as PIL) and centre-cropped to 224x224 (from"
                + " sidecar s.json)");
    assertThat(SpecResolver.readSidecar(json("{\"resize\": [256]}"), "one.json").resize())
        .as("torchvision reads a one-element size as the shorter side")
        .isEqualTo(new Resize(256));
    SpecResolver.Partial option =
        SpecResolver.Partial.empty("option --resize").withResize(new Resize(240));
    assertThatThrownBy(() -> SpecResolver.merge(read, option))
        .hasMessage(
            "Cannot resolve the model's resize: sidecar s.json says 240,320 but option --resize"
                + " says 240; remove or correct one of them");
  }

  @Test
  void aDeclaredResizeResizesOtherSizesOnlyAndConvertsChannelsAfter() {
    ModelSpec spec =
        new ModelSpec(new ImageShape(3, 4, 4), 2, null, null, List.of(), new Resize(4));
    Sample atSize = new Sample("a", 0, new ImageShape(3, 4, 4), new float[48]);
    Sample gray = new Sample("b", 1, new ImageShape(1, 6, 8), new float[48]);
    assertThat(spec.conform(atSize))
        .as("an image at the input size is taken as prepared, never resized twice")
        .isSameAs(atSize);
    assertThat(spec.resizes(gray.shape())).isTrue();
    assertThat(spec.conform(gray).shape()).isEqualTo(new ImageShape(3, 4, 4));
    assertThat(spec.accepts(new ImageShape(2, 9, 9)))
        .as("two channels are not converted")
        .isFalse();
    assertThat(
            new ModelSpec(new ImageShape(3, 4, 4), 2, null, null, List.of()).accepts(gray.shape()))
        .as("without a resize, another size is refused")
        .isFalse();
  }

  private static ByteArrayInputStream json(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void sidecarOfModelPtIsModelLetheJson() {
    assertThat(SpecResolver.sidecarPath(Path.of("/m/model.pt")))
        .isEqualTo(Path.of("/m/model.lethe.json"));
  }

  @Test
  void foreignModelJsonIsIgnoredAndTheSpecIsInferred() throws IOException {
    Path model = model();
    Files.writeString(tmp.resolve("m.json"), FOREIGN);

    try (Classifier c = Classifier.load(model, NONE.withInput(DIGITS))) {
      assertThat(c.spec().normalises()).as("no normalisation from the foreign file").isFalse();
      assertThat(c.spec().classNames()).as("no class names from the foreign file").isEmpty();
      assertThat(c.spec().numClasses()).as("classes from the probe forward").isEqualTo(10);
    }
    SpecResolver.Sidecar found = SpecResolver.findSidecar(model);
    assertThat(found.file()).as("no sidecar read").isNull();
    assertThat(found.notice())
        .as("what the run says about it")
        .isEqualTo(
            "ignoring m.json next to the model: not a Lethe sidecar (keys Lethe does not write:"
                + " epochs, lr; keys not of Lethe's type: input, classes); Lethe reads"
                + " m.lethe.json");
  }

  @Test
  void modelJsonThatIsNotJsonIsIgnoredToo() throws IOException {
    Path model = model();
    Files.writeString(tmp.resolve("m.json"), "epochs: 3\n");

    SpecResolver.Sidecar found = SpecResolver.findSidecar(model);
    assertThat(found.partial().input()).as("nothing read").isNull();
    assertThat(found.notice())
        .as("what the run says about it")
        .startsWith("ignoring m.json next to the model: not a Lethe sidecar (not a JSON object)");
  }

  @Test
  void newNameIsRead() throws IOException {
    Path model = model();
    Files.writeString(tmp.resolve("m.lethe.json"), letheSidecar());

    try (Classifier c = Classifier.load(model, NONE)) {
      assertThat(c.spec().input()).as("input shape").isEqualTo(DIGITS);
      assertThat(c.spec().mean()).as("mean").containsExactly(0.3f);
      assertThat(c.spec().classNames()).as("class names").hasSize(10).startsWith("0", "1");
    }
    SpecResolver.Sidecar found = SpecResolver.findSidecar(model);
    assertThat(found.file()).isEqualTo(tmp.resolve("m.lethe.json"));
    assertThat(found.notice()).as("nothing to say").isNull();
  }

  @Test
  void newNameWinsOverAForeignOldOne() throws IOException {
    Path model = model();
    Files.writeString(tmp.resolve("m.lethe.json"), letheSidecar());
    Files.writeString(tmp.resolve("m.json"), FOREIGN);

    SpecResolver.Partial p = SpecResolver.readSidecarOf(model);
    assertThat(p.classNames()).as("class names").hasSize(10);
    assertThat(p.source()).as("source").isEqualTo("sidecar " + tmp.resolve("m.lethe.json"));
  }

  @Test
  void oldLetheSidecarIsReadWithADeprecationNotice() throws IOException {
    Path model = model();
    Files.writeString(tmp.resolve("m.json"), letheSidecar());

    try (Classifier c = Classifier.load(model, NONE)) {
      assertThat(c.spec().mean()).as("mean from the old sidecar").containsExactly(0.3f);
      assertThat(c.spec().classNames()).as("class names").hasSize(10);
    }
    SpecResolver.Sidecar found = SpecResolver.findSidecar(model);
    assertThat(found.file()).isEqualTo(tmp.resolve("m.json"));
    assertThat(found.notice())
        .isEqualTo("m.json: reading Lethe's old sidecar name; rename it to m.lethe.json");
  }

  @Test
  void brokenLetheSidecarUnderTheNewNameIsStillAnError() throws IOException {
    Path model = model();
    Files.writeString(tmp.resolve("m.lethe.json"), "{\"input\": {\"channels\": 1}}");

    assertThatThrownBy(() -> SpecResolver.readSidecarOf(model))
        .hasMessageStartingWith("Cannot read model sidecar " + tmp.resolve("m.lethe.json"))
        .hasMessageContaining("\"height\"");
  }

  @Test
  void describesWhatWasAssumedAndWhereItCameFrom() {
    SpecResolver.Partial options =
        NONE.withClassNames(java.util.List.of("a/b", "c", "d", "e", "f", "g", "h", "i", "j", "k"));
    SpecResolver.Partial data = SpecResolver.Partial.empty("data /d").withInput(DIGITS);
    ModelSpec spec = new ModelSpec(DIGITS, 10, null, null, options.classNames());

    assertThat(SpecResolver.describe(spec, options, data))
        .containsExactly(
            "input shape 1x8x8 (from data /d)",
            "normalisation none (inputs used as they are, in [0,1])",
            "10 classes (from test options)",
            "class names \"a/b\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"i\", \"j\", \"k\""
                + " (from test options)");
    assertThat(SpecResolver.describe(new ModelSpec(DIGITS, 10, null, null, null), data))
        .contains("10 classes (from a probe forward)", "class names none, classes numbered 0..9");
  }

  @Test
  void aDerivedSidecarHoldsTheResolvedSpecAndNotTheParentsHashOrAccuracy() throws IOException {
    ModelSpec spec =
        new ModelSpec(
            new ImageShape(1, 8, 8),
            3,
            new float[] {0.5f},
            new float[] {0.25f},
            java.util.List.of("t-shirt/top", "trouser", "bag"));
    byte[] derived =
        SpecResolver.derivedSidecar(
            spec, "{\"name\": \"n\", \"sha256\": \"abc\", \"test_accuracy\": 0.9}".getBytes());
    SpecResolver.Partial read =
        SpecResolver.readSidecar(new java.io.ByteArrayInputStream(derived), "derived");
    assertThat(read.toSpec(99)).as("read back").isEqualTo(spec);
    String text = new String(derived, java.nio.charset.StandardCharsets.UTF_8);
    assertThat(text).contains("\"name\" : \"n\"").doesNotContain("sha256", "test_accuracy");

    ModelSpec plain = new ModelSpec(new ImageShape(3, 32, 32), 10, null, null, null);
    assertThat(
            SpecResolver.readSidecar(
                    new java.io.ByteArrayInputStream(SpecResolver.derivedSidecar(plain, null)), "d")
                .toSpec(99))
        .as("no parent sidecar, no names, no normalisation")
        .isEqualTo(plain);
  }
}
