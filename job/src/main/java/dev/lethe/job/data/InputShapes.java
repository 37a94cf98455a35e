package dev.lethe.job.data;

import dev.lethe.data.ImageShape;
import dev.lethe.data.Resize;
import dev.lethe.data.Sample;
import dev.lethe.job.model.ModelArtifact;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The input shape data implies for a model without a declared one: the most common shape among the
 * samples at hand, not the first sample's, so that one odd image (a grayscale PNG among RGB ones)
 * is the sample the shape check names instead of the shape every other image is held to.
 */
public final class InputShapes {

  private InputShapes() {}

  /** A model loaded with an input shape from data, and the partial spec that shape came in. */
  public record Inferred(Classifier classifier, SpecResolver.Partial fromData) {}

  /** The most common shape of {@code samples} (the earliest of equally common ones). */
  public static ImageShape mostCommon(List<Sample> samples) {
    if (samples.isEmpty()) {
      throw new IllegalArgumentException("Cannot infer an input shape from no samples");
    }
    Map<ImageShape, Integer> counts = new LinkedHashMap<>();
    for (Sample s : samples) {
      counts.merge(s.shape(), 1, Integer::sum);
    }
    ImageShape best = null;
    int most = 0;
    for (Map.Entry<ImageShape, Integer> e : counts.entrySet()) {
      if (e.getValue() > most) {
        best = e.getKey();
        most = e.getValue();
      }
    }
    return best;
  }

  /**
   * The input shape {@code samples} imply, as a partial spec from {@code source}: their most common
   * shape, or, when the model's pipeline resizes ({@code resize} not null), their most common
   * channel count at the resize's size ({@link Resize#uncroppedInput}: a model with a crop of
   * another size declares its input shape).
   */
  public static SpecResolver.Partial implied(List<Sample> samples, Resize resize, String source) {
    ImageShape common = mostCommon(samples);
    if (resize == null) {
      return SpecResolver.Partial.empty(source).withInput(common);
    }
    int[] size = resize.uncroppedInput();
    return SpecResolver.Partial.empty(
            source
                + " ("
                + common.channels()
                + " channels; "
                + size[0]
                + "x"
                + size[1]
                + " from the resize)")
        .withInput(new ImageShape(common.channels(), size[0], size[1]));
  }

  /**
   * Loads a model whose input shape comes from its data ({@code fromData}, merged after {@code
   * options}). A model that cannot run on the data's shape but runs on the same size with the other
   * channel count, three for gray images or one for RGB ones, gets that shape: the images are
   * converted ({@link Sample#conformTo}), as torchvision's pipeline reads a gray image as RGB for
   * an RGB model. When neither runs, the failure is the data shape's. With {@code fromData} null
   * (the shape is declared) it loads with {@code options} alone.
   */
  public static Inferred load(
      ModelArtifact artifact,
      SpecResolver.Partial options,
      SpecResolver.Partial fromData,
      boolean trainable) {
    if (fromData == null) {
      return new Inferred(artifact.load(options, trainable), null);
    }
    try {
      return new Inferred(
          artifact.load(SpecResolver.merge(options, fromData), trainable), fromData);
    } catch (IllegalArgumentException first) {
      ImageShape shape = fromData.input();
      if (shape.channels() != 1 && shape.channels() != 3) {
        throw first;
      }
      ImageShape other = new ImageShape(4 - shape.channels(), shape.height(), shape.width());
      SpecResolver.Partial converted =
          SpecResolver.Partial.empty(
                  fromData.source()
                      + " ("
                      + shape
                      + " images converted to "
                      + other
                      + ": the model does not run on "
                      + shape
                      + ")")
              .withInput(other);
      try {
        return new Inferred(
            artifact.load(SpecResolver.merge(options, converted), trainable), converted);
      } catch (IllegalArgumentException second) {
        first.addSuppressed(second);
        throw first;
      }
    }
  }
}
