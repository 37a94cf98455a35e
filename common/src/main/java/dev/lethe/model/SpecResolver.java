package dev.lethe.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lethe.data.ImageShape;
import dev.lethe.data.Resize;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Works out a model's {@link ModelSpec} from up to three sources, in order: a JSON sidecar next to
 * the model ({@code model.pt} -> {@code model.lethe.json}), the user's options, and values inferred
 * from the data (image shape, class-folder names). The number of classes, when no source gives it,
 * comes from a probe forward in {@link Classifier#load}. A user's plain .pt therefore works without
 * any extra file. When the sidecar and an option disagree, resolution fails rather than silently
 * preferring one.
 */
public final class SpecResolver {

  private static final ObjectMapper JSON = new ObjectMapper();

  private SpecResolver() {}

  /**
   * Values for a spec, any of them possibly unknown (null); {@code source} names where they came
   * from, for error messages.
   */
  public record Partial(
      ImageShape input,
      Integer numClasses,
      float[] mean,
      float[] std,
      List<String> classNames,
      Resize resize,
      String source) {

    /** A partial spec with nothing known. */
    public static Partial empty(String source) {
      return new Partial(null, null, null, null, null, null, source);
    }

    /** Everything {@code spec} says, as a partial spec from {@code source}. */
    public static Partial of(ModelSpec spec, String source) {
      return new Partial(
          spec.input(),
          spec.numClasses(),
          spec.mean(),
          spec.std(),
          spec.classNames(),
          spec.resize(),
          source);
    }

    public Partial withInput(ImageShape value) {
      return new Partial(value, numClasses, mean, std, classNames, resize, source);
    }

    public Partial withNumClasses(Integer value) {
      return new Partial(input, value, mean, std, classNames, resize, source);
    }

    public Partial withNormalisation(float[] newMean, float[] newStd) {
      return new Partial(input, numClasses, newMean, newStd, classNames, resize, source);
    }

    public Partial withClassNames(List<String> value) {
      return new Partial(input, numClasses, mean, std, value, resize, source);
    }

    /** This partial spec with the resize the model's pipeline applies (null: none known). */
    public Partial withResize(Resize value) {
      return new Partial(input, numClasses, mean, std, classNames, value, source);
    }

    /** The same values, said to come from {@code value}. */
    public Partial withSource(String value) {
      return new Partial(input, numClasses, mean, std, classNames, resize, value);
    }

    /** Builds the spec once the number of classes is known (from here or from a probe). */
    ModelSpec toSpec(int probedClasses) {
      int classes = numClasses != null ? numClasses : probedClasses;
      List<String> names = classNames;
      if (names != null && names.isEmpty()) {
        names = null;
      }
      return new ModelSpec(input, classes, mean, std, names, resize);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Partial p
          && Objects.equals(input, p.input)
          && Objects.equals(numClasses, p.numClasses)
          && Arrays.equals(mean, p.mean)
          && Arrays.equals(std, p.std)
          && Objects.equals(classNames, p.classNames)
          && Objects.equals(resize, p.resize)
          && Objects.equals(source, p.source);
    }

    @Override
    public int hashCode() {
      return Objects.hash(
          input,
          numClasses,
          Arrays.hashCode(mean),
          Arrays.hashCode(std),
          classNames,
          resize,
          source);
    }

    @Override
    public String toString() {
      return "Partial[" + source + ": input=" + input + ", classes=" + numClasses + "]";
    }
  }

  /** What Lethe's sidecar name ends in: {@code model.pt} -> {@code model.lethe.json}. */
  public static final String SIDECAR_SUFFIX = ".lethe.json";

  /** Keys older Lethe sidecars (named {@code model.json}) hold, none of them required. */
  private static final Set<String> OLD_KEYS =
      Set.of(
          "name",
          "architecture",
          "dataset",
          "classes",
          "num_classes",
          "input",
          "mean",
          "std",
          "train_accuracy",
          "test_accuracy",
          "training",
          "sha256");

  /** The keys that say something about the spec; an old sidecar has at least one. */
  private static final List<String> SPEC_KEYS =
      List.of("input", "classes", "num_classes", "mean", "std");

  /**
   * The sidecar a model's spec was read from: its partial spec (empty when none was read), the file
   * (null when none), and one line for the run's log when there is something to say about the files
   * next to the model (an old sidecar name, or another tool's {@code model.json} that was ignored),
   * else null.
   */
  public record Sidecar(Partial partial, Path file, String notice) {}

  /** Keys of a parent's sidecar that describe the model's kind and stay true after unlearning. */
  private static final List<String> DESCRIPTIVE_KEYS = List.of("name", "architecture", "dataset");

  /**
   * The sidecar of a model derived from a parent with {@code spec} (an unlearned version): the
   * parent sidecar's descriptive keys (name, architecture, dataset), then the spec as resolved
   * (class names, number of classes, input shape, normalisation), whether it came from the parent's
   * sidecar, options or the data. The parent's hash and accuracies are left out: they describe the
   * parent. So a published model carries everything a later run needs, also when the parent had no
   * sidecar and its class names were given as an option.
   *
   * @param parent the parent's sidecar bytes, or null when it had none
   */
  public static byte[] derivedSidecar(ModelSpec spec, byte[] parent) {
    ObjectNode out = JSON.createObjectNode();
    if (parent != null) {
      try {
        JsonNode root = JSON.readTree(parent);
        if (root != null && root.isObject()) {
          for (String key : DESCRIPTIVE_KEYS) {
            if (root.path(key).isTextual()) {
              out.put(key, root.get(key).asText());
            }
          }
        }
      } catch (IOException e) {
        // not JSON: nothing descriptive to carry over
      }
    }
    if (!spec.classNames().isEmpty()) {
      ArrayNode names = out.putArray("classes");
      spec.classNames().forEach(names::add);
    }
    out.put("num_classes", spec.numClasses());
    ObjectNode input = out.putObject("input");
    input.put("channels", spec.input().channels());
    input.put("height", spec.input().height());
    input.put("width", spec.input().width());
    if (spec.resize() != null) {
      out.putPOJO("resize", spec.resize().json());
    }
    if (spec.normalises()) {
      ArrayNode mean = out.putArray("mean");
      for (float v : spec.mean()) {
        mean.add(v);
      }
      ArrayNode std = out.putArray("std");
      for (float v : spec.std()) {
        std.add(v);
      }
    }
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(out);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write a model sidecar: " + e.getMessage(), e);
    }
  }

  /**
   * Lethe's sidecar path for a model file: the same name with {@code .lethe.json} in place of its
   * extension ({@code model.pt} -> {@code model.lethe.json}), a name no other tool writes.
   */
  public static Path sidecarPath(Path model) {
    return model.resolveSibling(baseName(model) + SIDECAR_SUFFIX);
  }

  /**
   * The sidecar name older Lethe wrote ({@code model.pt} -> {@code model.json}); other tools write
   * that name too, so it is read only when it looks like Lethe's.
   */
  public static Path oldSidecarPath(Path model) {
    return model.resolveSibling(baseName(model) + ".json");
  }

  private static String baseName(Path model) {
    String name = model.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot > 0 ? name.substring(0, dot) : name;
  }

  /** Reads the sidecar next to {@code model} if there is one, else an empty partial spec. */
  public static Partial readSidecarOf(Path model) throws IOException {
    return findSidecar(model).partial();
  }

  /**
   * Finds and reads the sidecar next to {@code model}: {@code model.lethe.json} when it exists (an
   * error if it is not a valid sidecar); else {@code model.json} when every key in it is one Lethe
   * writes, with Lethe's type (read, with a notice to rename it); else nothing (with a notice that
   * the {@code model.json} there, if any, was ignored).
   *
   * @throws IllegalArgumentException naming the file when {@code model.lethe.json} is not valid
   */
  public static Sidecar findSidecar(Path model) throws IOException {
    Path sidecar = sidecarPath(model);
    if (Files.isRegularFile(sidecar)) {
      try (InputStream in = Files.newInputStream(sidecar)) {
        return new Sidecar(readSidecar(in, sidecar.toString()), sidecar, null);
      }
    }
    Path old = oldSidecarPath(model);
    if (!Files.isRegularFile(old)) {
      return new Sidecar(Partial.empty("no sidecar"), null, null);
    }
    String why = notLethes(Files.readAllBytes(old));
    if (why != null) {
      return new Sidecar(Partial.empty("no sidecar"), null, ignoredNotice(model, why));
    }
    try (InputStream in = Files.newInputStream(old)) {
      return new Sidecar(readSidecar(in, old.toString()), old, oldNameNotice(model));
    }
  }

  /** The line a run logs when it reads a model's sidecar under the old name. */
  public static String oldNameNotice(Path model) {
    return oldSidecarPath(model).getFileName()
        + ": reading Lethe's old sidecar name; rename it to "
        + sidecarPath(model).getFileName();
  }

  /**
   * The line a run logs when it ignores the {@code model.json} next to a model, {@code why} being
   * what {@link #notLethes} said.
   */
  public static String ignoredNotice(Path model, String why) {
    return "ignoring "
        + oldSidecarPath(model).getFileName()
        + " next to the model: not a Lethe sidecar ("
        + why
        + "); Lethe reads "
        + sidecarPath(model).getFileName();
  }

  /**
   * Why a file under the old sidecar name is not Lethe's (keys Lethe never wrote, keys of another
   * type, not a JSON object, none of the spec's keys), or null when it is.
   */
  public static String notLethes(byte[] json) {
    JsonNode parsed;
    try {
      parsed = JSON.readTree(json);
    } catch (IOException e) {
      parsed = null;
    }
    JsonNode root = parsed;
    if (root == null || !root.isObject()) {
      return "not a JSON object";
    }
    List<String> unknown = new ArrayList<>();
    List<String> mistyped = new ArrayList<>();
    root.fieldNames()
        .forEachRemaining(
            key -> {
              if (!OLD_KEYS.contains(key)) {
                unknown.add(key);
              } else if (!hasLethesType(key, root.get(key))) {
                mistyped.add(key);
              }
            });
    List<String> why = new ArrayList<>();
    if (!unknown.isEmpty()) {
      why.add("keys Lethe does not write: " + String.join(", ", unknown));
    }
    if (!mistyped.isEmpty()) {
      why.add("keys not of Lethe's type: " + String.join(", ", mistyped));
    }
    if (why.isEmpty() && SPEC_KEYS.stream().noneMatch(root::has)) {
      why.add("none of Lethe's keys " + String.join(", ", SPEC_KEYS));
    }
    return why.isEmpty() ? null : String.join("; ", why);
  }

  private static boolean hasLethesType(String key, JsonNode v) {
    return switch (key) {
      case "name", "architecture", "dataset", "sha256" -> v.isTextual();
      case "classes" -> v.isArray() && allMatch(v, JsonNode::isTextual);
      case "num_classes" -> v.canConvertToInt() && v.isIntegralNumber();
      case "input" ->
          v.isObject()
              && v.size() == 3
              && List.of("channels", "height", "width").stream()
                  .allMatch(k -> v.has(k) && v.get(k).isIntegralNumber());
      case "mean", "std" -> v.isArray() && allMatch(v, JsonNode::isNumber);
      case "train_accuracy", "test_accuracy" -> v.isNumber();
      case "training" -> v.isObject();
      default -> false;
    };
  }

  private static boolean allMatch(JsonNode array, java.util.function.Predicate<JsonNode> test) {
    for (JsonNode item : array) {
      if (!test.test(item)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Parses a sidecar: {@code {"classes": [...], "input": {"channels": C, "height": H, "width": W},
   * "mean": [...], "std": [...], "resize": 256}}; every key is optional; {@code num_classes} may
   * stand in for {@code classes}; {@code resize} is the argument of torchvision's {@code Resize}
   * before {@code CenterCrop} to the input's height and width: the shorter side ({@code 256}) or
   * the height and width ({@code [224, 224]}).
   */
  public static Partial readSidecar(InputStream in, String name) {
    JsonNode root;
    try {
      root = JSON.readTree(in);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "Cannot read model sidecar " + name + ": not valid JSON (" + e.getMessage() + ")", e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(
          "Cannot read model sidecar " + name + ": expected a JSON object");
    }
    try {
      Partial p = Partial.empty("sidecar " + name);
      JsonNode input = root.get("input");
      if (input != null) {
        p =
            p.withInput(
                new ImageShape(
                    requiredInt(input, "channels"),
                    requiredInt(input, "height"),
                    requiredInt(input, "width")));
      }
      JsonNode classes = root.get("classes");
      if (classes != null) {
        if (!classes.isArray()) {
          throw new IllegalArgumentException("\"classes\" must be an array of names");
        }
        List<String> names = new ArrayList<>();
        classes.forEach(c -> names.add(c.asText()));
        p = p.withClassNames(names).withNumClasses(names.size());
      }
      if (root.has("num_classes")) {
        int n = root.get("num_classes").asInt();
        if (p.numClasses() != null && p.numClasses() != n) {
          throw new IllegalArgumentException(
              "\"num_classes\" " + n + " disagrees with " + p.numClasses() + " class names");
        }
        p = p.withNumClasses(n);
      }
      if (root.has("mean") || root.has("std")) {
        p = p.withNormalisation(floats(root.get("mean"), "mean"), floats(root.get("std"), "std"));
      }
      if (root.has("resize")) {
        p = p.withResize(resize(root.get("resize")));
      }
      return p;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Cannot read model sidecar " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * Merges the sources field by field: the first that knows a value wins, in the order given; a
   * disagreement between two sources that both know a value is an error naming both.
   */
  public static Partial merge(Partial... sources) {
    Partial out = Partial.empty("merged");
    ImageShape input = null;
    Integer classes = null;
    float[] mean = null;
    float[] std = null;
    List<String> names = null;
    Resize resize = null;
    String[] from = new String[5];
    for (Partial p : sources) {
      if (p == null) {
        continue;
      }
      if (p.input() != null) {
        if (input == null) {
          input = p.input();
          from[0] = p.source();
        } else if (!input.equals(p.input())) {
          throw conflict("input shape", input, from[0], p.input(), p.source());
        }
      }
      if (p.numClasses() != null) {
        if (classes == null) {
          classes = p.numClasses();
          from[1] = p.source();
        } else if (!classes.equals(p.numClasses())) {
          throw conflict("number of classes", classes, from[1], p.numClasses(), p.source());
        }
      }
      if (p.mean() != null) {
        if (mean == null) {
          mean = p.mean();
          std = p.std();
          from[2] = p.source();
        } else if (!Arrays.equals(mean, p.mean()) || !Arrays.equals(std, p.std())) {
          throw conflict(
              "mean/std",
              Arrays.toString(mean) + "/" + Arrays.toString(std),
              from[2],
              Arrays.toString(p.mean()) + "/" + Arrays.toString(p.std()),
              p.source());
        }
      }
      if (p.classNames() != null && !p.classNames().isEmpty()) {
        if (names == null) {
          names = p.classNames();
          from[3] = p.source();
        } else if (!names.equals(p.classNames())) {
          throw conflict("class names", names, from[3], p.classNames(), p.source());
        }
      }
      if (p.resize() != null) {
        if (resize == null) {
          resize = p.resize();
          from[4] = p.source();
        } else if (!resize.equals(p.resize())) {
          throw conflict("resize", resize.spelled(), from[4], p.resize().spelled(), p.source());
        }
      }
    }
    return new Partial(input, classes, mean, std, names, resize, out.source());
  }

  /**
   * What a resolved spec assumes, one line per value (input shape, normalisation, number of
   * classes, class names), each naming where it came from: the first of {@code sources}, in merge
   * order, that knows it, else how it was decided (a probe forward, no normalisation, classes
   * numbered 0..N-1). For the run's first log lines.
   */
  public static List<String> describe(ModelSpec spec, Partial... sources) {
    String input = firstKnowing(sources, p -> p.input() != null);
    String norm = firstKnowing(sources, p -> p.mean() != null);
    String names = firstKnowing(sources, p -> p.classNames() != null && !p.classNames().isEmpty());
    String classes = firstKnowing(sources, p -> p.numClasses() != null);
    String resize = firstKnowing(sources, p -> p.resize() != null);
    if (classes == null) {
      classes = names;
    }
    List<String> out = new ArrayList<>();
    out.add("input shape " + spec.input() + from(input));
    if (spec.resize() != null) {
      out.add(
          "images resized to "
              + spec.resize().target()
              + " (bilinear, as PIL) and centre-cropped to "
              + spec.input().height()
              + "x"
              + spec.input().width()
              + from(resize));
    }
    out.add(
        spec.normalises()
            ? "normalisation mean "
                + Arrays.toString(spec.mean())
                + " std "
                + Arrays.toString(spec.std())
                + from(norm)
            : "normalisation none (inputs used as they are, in [0,1])");
    out.add(
        spec.numClasses()
            + " classes"
            + (classes == null ? " (from a probe forward)" : from(classes)));
    if (spec.classNames().isEmpty()) {
      out.add("class names none, classes numbered 0.." + (spec.numClasses() - 1));
    } else {
      StringBuilder quoted = new StringBuilder();
      for (String name : spec.classNames()) {
        quoted.append(quoted.length() == 0 ? "\"" : ", \"").append(name).append('"');
      }
      out.add("class names " + quoted + from(names));
    }
    return out;
  }

  private static String firstKnowing(
      Partial[] sources, java.util.function.Predicate<Partial> knows) {
    for (Partial p : sources) {
      if (p != null && knows.test(p)) {
        return p.source();
      }
    }
    return null;
  }

  private static String from(String source) {
    return source == null ? "" : " (from " + source + ")";
  }

  /**
   * A sidecar's {@code "resize"}: {@code 256} or {@code [224, 224]}, as torchvision's argument
   * ({@code [256]} reads as {@code 256}, as torchvision reads it).
   */
  private static Resize resize(JsonNode value) {
    List<JsonNode> sides = new ArrayList<>();
    if (value.isArray()) {
      value.forEach(sides::add);
    } else {
      sides.add(value);
    }
    if (sides.isEmpty()
        || sides.size() > 2
        || !sides.stream().allMatch(v -> v.isIntegralNumber() && v.canConvertToInt())) {
      throw new IllegalArgumentException(
          "\"resize\" must be torchvision's Resize argument: the shorter side in pixels, e.g. 256"
              + " (Resize(256)), or the height and width, e.g. [224, 224] (Resize((224, 224))),"
              + " not "
              + value);
    }
    int first = sides.get(0).asInt();
    return sides.size() == 1 ? new Resize(first) : Resize.exact(first, sides.get(1).asInt());
  }

  private static IllegalArgumentException conflict(
      String what, Object first, String firstSource, Object second, String secondSource) {
    return new IllegalArgumentException(
        "Cannot resolve the model's "
            + what
            + ": "
            + firstSource
            + " says "
            + first
            + " but "
            + secondSource
            + " says "
            + second
            + "; remove or correct one of them");
  }

  private static int requiredInt(JsonNode node, String key) {
    JsonNode v = node.get(key);
    if (v == null || !v.canConvertToInt()) {
      throw new IllegalArgumentException("\"input\" needs an integer \"" + key + "\"");
    }
    return v.asInt();
  }

  private static float[] floats(JsonNode node, String key) {
    if (node == null || !node.isArray()) {
      throw new IllegalArgumentException(
          "\"" + key + "\" must be an array of numbers (give both \"mean\" and \"std\")");
    }
    float[] out = new float[node.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) node.get(i).asDouble();
    }
    return out;
  }
}
