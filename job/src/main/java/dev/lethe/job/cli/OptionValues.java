package dev.lethe.job.cli;

import dev.lethe.attack.PgdSettings;
import dev.lethe.data.ClassIndex;
import dev.lethe.data.ImageShape;
import dev.lethe.data.Resize;
import dev.lethe.job.failure.UsageException;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.Method;
import dev.lethe.unlearn.TuningOptions;
import dev.lethe.unlearn.UnlearnSettings;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Typed values of a subcommand's options, each checked with a message that names the option and
 * says what to give: "Cannot run &lt;command&gt;: option --name is 'value'; give ...". Options are
 * declared as strings so that these messages, not picocli's, describe a malformed value.
 */
final class OptionValues {

  private final String command;

  OptionValues(String command) {
    this.command = command;
  }

  /** The unlearning method of {@code --method} (default l2ul). */
  Method method(String value) {
    try {
      return Method.parse(value == null ? "l2ul" : value);
    } catch (IllegalArgumentException e) {
      throw usage("option --method: " + e.getMessage());
    }
  }

  /** The goal of {@code --goal} (default misclassify). */
  Goal goal(String value) {
    try {
      return Goal.parse(value == null ? "misclassify" : value);
    } catch (IllegalArgumentException e) {
      throw usage("option --goal: " + e.getMessage());
    }
  }

  /** The run seed of {@code --seed} (default 0). */
  long seed(String given) {
    String value = given == null ? "0" : given;
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw invalid("--seed", value, "give a whole number");
    }
  }

  /** A whole number of 1 or more, if given. */
  Optional<Integer> positiveInt(String name, String value) {
    return wholeNumber(name, value, 1);
  }

  /** A whole number of 0 or more, if given. */
  Optional<Integer> nonNegativeInt(String name, String value) {
    return wholeNumber(name, value, 0);
  }

  private Optional<Integer> wholeNumber(String name, String value, int least) {
    if (value == null) {
      return Optional.empty();
    }
    try {
      int parsed = Integer.parseInt(value.trim());
      if (parsed >= least) {
        return Optional.of(parsed);
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw invalid(name, value, "give a whole number of " + least + " or more");
  }

  /**
   * The percentage points of a publish gate ({@code --max-test-drop}, {@code --max-retain-drop}),
   * if given: 0 or more and finite. The gate measures the data of option {@code needs}, which must
   * have been given ({@code needsGiven}).
   */
  Optional<Double> gatePoints(String name, String value, String needs, boolean needsGiven) {
    if (value == null) {
      return Optional.empty();
    }
    if (!needsGiven) {
      throw usage("option " + name + " needs " + needs + "; give " + needs + " URI");
    }
    try {
      double points = Double.parseDouble(value.trim());
      if (points >= 0 && !Double.isInfinite(points)) {
        return Optional.of(points);
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw invalid(name, value, "give percentage points, 0 or more");
  }

  /** An image shape written {@code C,H,W}, if given. */
  Optional<ImageShape> imageShape(String name, String value) {
    if (value == null) {
      return Optional.empty();
    }
    String[] parts = value.split(",", -1);
    if (parts.length == 3) {
      try {
        int c = Integer.parseInt(parts[0].trim());
        int h = Integer.parseInt(parts[1].trim());
        int w = Integer.parseInt(parts[2].trim());
        if (c > 0 && h > 0 && w > 0) {
          if ((long) h * w > ImageShape.MAX_PIXELS || c > ImageShape.MAX_CHANNELS) {
            throw invalid(
                name,
                value,
                "give at most 4096x4096 pixels (height x width) and "
                    + ImageShape.MAX_CHANNELS
                    + " channels, e.g. 1,28,28");
          }
          return Optional.of(new ImageShape(c, h, w));
        }
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw invalid(
        name,
        value,
        "give channels,height,width as three whole numbers of 1 or more, e.g. 1,28,28");
  }

  /** A usage error of this command: "Cannot run &lt;command&gt;: {@code message}". */
  /**
   * What {@code --class-names} says about a model's outputs, for {@code lethe evaluate} and {@code
   * lethe unlearn}: names in output order separated by commas (spaces around each trimmed); a class
   * folder writes each '/' of a name as '_'.
   */
  static final String CLASS_NAMES_HELP =
      "model class names in output order, comma-separated; an image folder's class folder writes"
          + " '/' in a name as '_' (t-shirt/top: t-shirt_top) (default: the sidecar's, else"
          + " class folders are named 0, 1, ...)";

  static final String RESIZE_HELP =
      "the resize the model's own image pipeline applies: torchvision's Resize(S) (shorter side to"
          + " S pixels, bilinear), or Resize((H, W)) given as H,W, then CenterCrop to the model's"
          + " input size; images already at the input size are used as they are (default: the"
          + " sidecar's \"resize\", else none: images of another size are refused)";

  /**
   * The {@code --resize} value, if given: a shorter side ({@code 256}) or a height and width
   * ({@code 224,224}), each from 1 to {@link Resize#MAX_SIZE} pixels.
   */
  Optional<Resize> resize(String name, String value) {
    if (value == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Resize.parse(value));
    } catch (IllegalArgumentException e) {
      throw invalid(
          name,
          value,
          "give the shorter side in pixels (256, torchvision's Resize(256)) or the height"
              + " and width (224,224, Resize((224, 224))), each from 1 to "
              + Resize.MAX_SIZE);
    }
  }

  /** The names of a {@code --class-names} value; empty when the option was not given. */
  List<String> classNames(String name, String value) {
    if (value == null) {
      return List.of();
    }
    try {
      return ClassIndex.parseClassNames(value);
    } catch (IllegalArgumentException e) {
      throw usage("option " + name + " is '" + value + "': " + e.getMessage());
    }
  }

  /**
   * The {@code --set} options, each checked against every candidate of {@code preset}'s settings
   * (null: lethe) for {@code goal}, so a bad key or value is a usage error before any work.
   */
  Map<String, String> tuning(List<String> sets, String preset, Goal goal) {
    Map<String, String> parsed;
    try {
      parsed = TuningOptions.parse(sets);
    } catch (IllegalArgumentException e) {
      throw usage("option --set: " + e.getMessage());
    }
    try {
      for (UnlearnSettings base :
          UnlearnSettings.presetCandidates(preset == null ? "lethe" : preset, goal)) {
        TuningOptions.apply(base, PgdSettings.defaults(new ImageShape(1, 28, 28)), parsed);
      }
    } catch (IllegalArgumentException e) {
      throw usage(
          "option "
              + (preset != null && e.getMessage().contains("preset") ? "--preset" : "--set")
              + ": "
              + e.getMessage());
    }
    return parsed;
  }

  UsageException usage(String message) {
    return new UsageException("Cannot run " + command + ": " + message);
  }

  /** A usage error for a malformed value. */
  UsageException invalid(String name, String value, String expected) {
    return usage("option " + name + " is '" + value + "'; " + expected);
  }
}
