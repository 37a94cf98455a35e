package dev.lethe.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lethe.data.ImageShape;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Works out a model's {@link ModelSpec} from up to three sources, in order: a JSON sidecar next to
 * the model ({@code model.pt} -> {@code model.json}), the user's options, and values inferred from
 * the data (image shape, class-folder names). The number of classes, when no source gives it, comes
 * from a probe forward in {@link Classifier#load}. A user's plain .pt therefore works without any
 * extra file. When the sidecar and an option disagree, resolution fails rather than silently
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
      String source) {

    /** A partial spec with nothing known. */
    public static Partial empty(String source) {
      return new Partial(null, null, null, null, null, source);
    }

    public Partial withInput(ImageShape value) {
      return new Partial(value, numClasses, mean, std, classNames, source);
    }

    public Partial withNumClasses(Integer value) {
      return new Partial(input, value, mean, std, classNames, source);
    }

    public Partial withNormalisation(float[] newMean, float[] newStd) {
      return new Partial(input, numClasses, newMean, newStd, classNames, source);
    }

    public Partial withClassNames(List<String> value) {
      return new Partial(input, numClasses, mean, std, value, source);
    }

    /** Builds the spec once the number of classes is known (from here or from a probe). */
    ModelSpec toSpec(int probedClasses) {
      int classes = numClasses != null ? numClasses : probedClasses;
      List<String> names = classNames;
      if (names != null && names.isEmpty()) {
        names = null;
      }
      return new ModelSpec(input, classes, mean, std, names);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Partial p
          && Objects.equals(input, p.input)
          && Objects.equals(numClasses, p.numClasses)
          && Arrays.equals(mean, p.mean)
          && Arrays.equals(std, p.std)
          && Objects.equals(classNames, p.classNames)
          && Objects.equals(source, p.source);
    }

    @Override
    public int hashCode() {
      return Objects.hash(
          input, numClasses, Arrays.hashCode(mean), Arrays.hashCode(std), classNames, source);
    }

    @Override
    public String toString() {
      return "Partial[" + source + ": input=" + input + ", classes=" + numClasses + "]";
    }
  }

  /**
   * The sidecar path for a model file: the same name with {@code .json} in place of {@code .pt}.
   */
  public static Path sidecarPath(Path model) {
    String name = model.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String base = dot > 0 ? name.substring(0, dot) : name;
    return model.resolveSibling(base + ".json");
  }

  /** Reads the sidecar next to {@code model} if there is one, else an empty partial spec. */
  public static Partial readSidecarOf(Path model) throws IOException {
    Path sidecar = sidecarPath(model);
    if (!Files.isRegularFile(sidecar)) {
      return Partial.empty("no sidecar");
    }
    try (InputStream in = Files.newInputStream(sidecar)) {
      return readSidecar(in, sidecar.toString());
    }
  }

  /**
   * Parses a sidecar: {@code {"classes": [...], "input": {"channels": C, "height": H, "width": W},
   * "mean": [...], "std": [...]}}; every key is optional; {@code num_classes} may stand in for
   * {@code classes}.
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
    String[] from = new String[4];
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
    }
    return new Partial(input, classes, mean, std, names, out.source());
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
