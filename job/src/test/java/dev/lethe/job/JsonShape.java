package dev.lethe.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The shape of a JSON document: one line per field, {@code path type}, in document order (field
 * names and nesting, not values), so a test can pin what the job prints and publishes. Arrays show
 * their first element as {@code path[]}; numbers are {@code number} whether whole or not.
 */
public final class JsonShape {

  private JsonShape() {}

  /** The shape of {@code node}, one line per field. */
  public static List<String> of(JsonNode node) {
    List<String> lines = new ArrayList<>();
    walk("", node, lines);
    return lines;
  }

  /**
   * Asserts that {@code node} has the shape kept in {@code src/test/resources/schema/<name>}. The
   * actual shape is written to {@code target/schema-actual/<name>} first, to compare or to record a
   * new schema on purpose.
   */
  public static void assertShape(String name, JsonNode node) {
    List<String> actual = write(name, node);
    assertThat(actual)
        .as("fields and nesting of %s (actual in target/schema-actual)", name)
        .containsExactlyElementsOf(expected(name));
  }

  /** Whether {@code node} has the expected shape; writes the actual one as {@link #assertShape}. */
  public static boolean matches(String name, JsonNode node) {
    return write(name, node).equals(expected(name));
  }

  private static List<String> write(String name, JsonNode node) {
    List<String> actual = of(node);
    Path written = Path.of("target/schema-actual").resolve(name);
    try {
      Files.createDirectories(written.getParent());
      Files.write(written, actual, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the JSON shape " + written, e);
    }
    return actual;
  }

  private static List<String> expected(String name) {
    Path expected = Path.of("src/test/resources/schema").resolve(name);
    if (!Files.exists(expected)) {
      return List.of("(no expected shape: " + expected + ")");
    }
    try {
      return Files.readAllLines(expected, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the expected JSON shape " + expected, e);
    }
  }

  private static void walk(String path, JsonNode node, List<String> lines) {
    if (node.isObject()) {
      if (!path.isEmpty()) {
        lines.add(path + " object");
      }
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        walk(
            path.isEmpty() ? field.getKey() : path + "." + field.getKey(), field.getValue(), lines);
      }
    } else if (node.isArray()) {
      lines.add(path + " array");
      if (!node.isEmpty()) {
        walk(path + "[]", node.get(0), lines);
      }
    } else if (node.isNumber()) {
      lines.add(path + " number");
    } else if (node.isTextual()) {
      lines.add(path + " string");
    } else if (node.isBoolean()) {
      lines.add(path + " boolean");
    } else {
      lines.add(path + " null");
    }
  }
}
