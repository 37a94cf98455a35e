package dev.lethe.job.cli;

import dev.lethe.data.ImageShape;
import dev.lethe.data.Resize;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * The data options of {@code lethe unlearn}: the model, the forget data and which of its rows, the
 * test, held-out and retain data, and where to publish. A picocli mixin of {@link UnlearnCommand}.
 */
public final class UnlearnInputOptions {

  @Option(
      names = "--model",
      order = 1,
      paramLabel = "URI",
      required = true,
      description =
          "TorchScript .pt model; its sidecar, if any, is <name>.lethe.json next to it"
              + " (required)")
  String model;

  @Option(
      names = "--forget",
      order = 2,
      paramLabel = "URI",
      required = true,
      description = "the instances to forget: IDX, image folder or Parquet (required)")
  String forget;

  @Option(
      names = "--out",
      order = 3,
      paramLabel = "URI",
      required = true,
      description = "publish to <out>/<model-name>/<version>/ (required)")
  String out;

  @Option(
      names = "--test",
      order = 4,
      paramLabel = "URI",
      description = "test data: accuracy before/after, MIA non-members (default: none)")
  String test;

  @ArgGroup(exclusive = true)
  HeldOut heldOut = new HeldOut();

  /** Where the held-out sample comes from: its own data, or drawn from the test data. */
  static final class HeldOut {
    @Option(
        names = "--held-out",
        order = 5,
        paramLabel = "URI",
        description =
            "data the model never saw: goal unseen's reference; its outputs are held during the"
                + " fine-tune (labels unused) (default: none)")
    String uri;

    @Option(
        names = "--held-out-from-test",
        order = 6,
        paramLabel = "N",
        description =
            "use N random --test images (seeded by --seed) as --held-out; test accuracy is"
                + " measured on the rest; 0: none (default: 1000 when --test has 2000 images or"
                + " more, no --held-out is given and the settings hold a held-out sample, as"
                + " Lethe's presets do; else none)")
    String fromTest;
  }

  @Option(
      names = "--retain",
      order = 7,
      paramLabel = "URI",
      description =
          "a sample of retained training data: accuracy before/after, --max-retain-drop's data;"
              + " without a held-out sample the fine-tune holds its outputs (default: none)")
  String retain;

  @Option(
      names = "--retain-from-forget",
      order = 7,
      paramLabel = "N",
      description =
          "use N random rows of --forget that are not forgotten (seeded by --seed) as --retain;"
              + " 0: none (default: 1000 when the run has no held-out sample and no --retain, its"
              + " settings would hold one, as Lethe's presets do, and --forget holds 1000 rows"
              + " besides the forgotten ones; else none)")
  String retainFromForget;

  @Option(
      names = "--labels",
      order = 8,
      paramLabel = "URI",
      description = "IDX label file of the forget set (default: images-idx3 -> labels-idx1)")
  String labels;

  @Option(
      names = "--class-names",
      order = 8,
      paramLabel = "A,B,..",
      description = OptionValues.CLASS_NAMES_HELP)
  String classNames;

  @Option(
      names = "--input-shape",
      order = 9,
      paramLabel = "C,H,W",
      description = "model input shape (default: sidecar, else the forget data)")
  String inputShape;

  @Option(
      names = "--resize",
      order = 9,
      paramLabel = "S|H,W",
      description = OptionValues.RESIZE_HELP)
  String resize;

  @Option(
      names = "--limit",
      order = 18,
      paramLabel = "N",
      description = "forget only the first N samples of --forget (default: all)")
  String limit;

  @ArgGroup(exclusive = true)
  Rows rows = new Rows();

  /** Which rows of the forget data are forgotten: a random sample, or the rows with given ids. */
  static final class Rows {
    @Option(
        names = "--sample",
        order = 19,
        paramLabel = "N",
        description = "forget N rows of --forget drawn at random (seeded by --seed) (default: all)")
    String sample;

    @Option(
        names = "--forget-ids",
        order = 20,
        paramLabel = "A,B,..",
        arity = "1..*",
        hideParamSyntax = true,
        description =
            "forget only the rows with these sample ids, separated by commas; @FILE reads them"
                + " from a file, one per line (default: all)")
    List<String> forgetIds;
  }

  private final OptionValues values = new OptionValues("unlearn");

  /** The names of {@code --class-names}; empty when not given. */
  List<String> classNames() {
    return values.classNames("--class-names", classNames);
  }

  /** The shape of {@code --input-shape}; null when not given. */
  ImageShape inputShape() {
    return values.imageShape("--input-shape", inputShape).orElse(null);
  }

  /** The resize of {@code --resize}; null when not given. */
  Resize resize() {
    return values.resize("--resize", resize).orElse(null);
  }

  /** The ids of {@code --forget-ids}: one or more values (from @-files too), each split at ','. */
  List<String> forgetIds() {
    if (rows.forgetIds == null) {
      return List.of();
    }
    // Several values (from an @-file, one per line, or "a, b") are one list: a value's trailing
    // comma before the next value is a separator, not an empty id.
    List<String> parts = new ArrayList<>(rows.forgetIds);
    // a file saved with a byte-order mark starts its first word with it
    parts.replaceAll(p -> p.replace("\uFEFF", ""));
    for (int i = 0; i < parts.size() - 1; i++) {
      if (parts.get(i).endsWith(",")) {
        parts.set(i, parts.get(i).substring(0, parts.get(i).length() - 1));
      }
    }
    String value = String.join(",", parts);
    List<String> ids = Arrays.stream(value.split(",")).map(String::trim).toList();
    if (ids.isEmpty() || ids.stream().anyMatch(String::isEmpty)) {
      throw values.invalid("--forget-ids", value, "give sample ids separated by ','");
    }
    return ids;
  }
}
