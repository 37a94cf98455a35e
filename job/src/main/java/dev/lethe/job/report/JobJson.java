package dev.lethe.job.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The job's one JSON mapper (Jackson, as Spark ships it): records are written with their components
 * in declaration order and snake_case names ({@code modelSha256} as {@code model_sha256}); map keys
 * as they are.
 */
public final class JobJson {

  private static final ObjectMapper MAPPER =
      new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

  private JobJson() {}

  /** The mapper, for reading and for building trees. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** {@code value} as one line of JSON. */
  public static String line(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot write JSON: " + e.getMessage(), e);
    }
  }

  /** {@code value} as indented JSON in UTF-8, as report.json and manifest.json are published. */
  public static byte[] indented(Object value) {
    try {
      return MAPPER.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot write JSON: " + e.getMessage(), e);
    }
  }
}
