package dev.lethe.job.requests;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lethe.job.ledger.Outcome;
import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads erasure requests from {@code --requests URI}: a folder of JSON Lines files ({@code
 * *.jsonl}, read in name order; names starting with '.' or '_' are skipped) or one such file. Each
 * non-blank line is one request:
 *
 * <pre>
 * {"request_id": "r-001", "subject": "u123"}
 * {"request_id": "r-002", "sample_ids": ["train/17", "train/4023"], "received_at": "2026-11-30T08:15:00Z"}
 * </pre>
 *
 * <p>{@code received_at} is ISO-8601: a date-time with an offset or {@code Z}, or a date (midnight
 * UTC). A line that is not such a request (not JSON, no {@code request_id}, both or neither of
 * {@code subject} and {@code sample_ids}, a bad timestamp, an unknown field) is a {@link Problem}
 * with its file and line, not a failure: the other requests go on. A request id given twice with
 * the same content is one request; given twice with different content, or on a line with a problem,
 * the id is rejected as a whole ({@link Result#rejections()}), since which line is meant is
 * unclear. Requests files are small and read on the driver.
 */
public final class ErasureRequests {

  /** The fields a request line may have. */
  public static final Set<String> FIELDS =
      Set.of("request_id", "subject", "sample_ids", "received_at");

  private static final Logger LOG = LoggerFactory.getLogger(ErasureRequests.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private ErasureRequests() {}

  /**
   * A line that is not a valid request.
   *
   * @param file the requests file
   * @param line the line number, from 1
   * @param requestId the request id on the line; null when it has none (or is not JSON)
   * @param reason what is wrong and what to change
   */
  public record Problem(String file, int line, String requestId, String reason) {

    /** "Cannot accept request r-1 at file:3: reason" (the id omitted when there is none). */
    public String message() {
      return "Cannot accept request "
          + (requestId == null ? "" : requestId + " ")
          + "at "
          + file
          + ":"
          + line
          + ": "
          + reason;
    }
  }

  /**
   * What was read.
   *
   * @param requests the valid requests, one per request id, in file and line order
   * @param problems every line that is not a valid request, in file and line order
   */
  public record Result(List<ErasureRequest> requests, List<Problem> problems) {

    public Result {
      requests = List.copyOf(requests);
      problems = List.copyOf(problems);
    }

    /**
     * One {@code rejected} outcome per request id that has a problem, its reason every problem's
     * message. Lines without a request id cannot be recorded: they are only in {@link #problems}. A
     * sweep records these only for ids still pending (a request already forgotten stays so).
     */
    public List<Outcome> rejections() {
      Map<String, List<String>> reasons = new LinkedHashMap<>();
      for (Problem problem : problems) {
        if (problem.requestId() != null) {
          reasons
              .computeIfAbsent(problem.requestId(), id -> new ArrayList<>())
              .add(problem.message());
        }
      }
      List<Outcome> out = new ArrayList<>();
      reasons.forEach((id, messages) -> out.add(Outcome.rejected(id, String.join("; ", messages))));
      return out;
    }
  }

  /**
   * Reads every request under {@code uri}.
   *
   * @throws IllegalArgumentException naming the URI when it does not exist
   * @throws UncheckedIOException naming the file when one cannot be read
   */
  public static Result read(Configuration conf, String uri) {
    Path root = new Path(uri);
    FileSystem fs;
    FileStatus status;
    try {
      fs = root.getFileSystem(conf);
      status = fs.getFileStatus(root);
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException(
          "Cannot read requests " + uri + ": it does not exist; check --requests", e);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read requests " + uri + ": " + e + "; check the path and its permissions", e);
    }
    List<FileStatus> files = new ArrayList<>();
    if (status.isFile()) {
      files.add(status);
    } else {
      try {
        for (FileStatus child : fs.listStatus(root)) {
          String name = child.getPath().getName();
          if (child.isFile()
              && name.endsWith(".jsonl")
              && !name.startsWith(".")
              && !name.startsWith("_")) {
            files.add(child);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(
            "Cannot list requests folder " + uri + ": " + e + "; check its permissions", e);
      }
      files.sort(Comparator.comparing(f -> f.getPath().getName()));
    }
    Map<String, ErasureRequest> byId = new LinkedHashMap<>();
    List<Problem> problems = new ArrayList<>();
    for (FileStatus file : files) {
      readFile(fs, file.getPath().toString(), byId, problems);
    }
    Set<String> rejected = new LinkedHashSet<>();
    for (Problem problem : problems) {
      if (problem.requestId() != null) {
        rejected.add(problem.requestId());
      }
    }
    List<ErasureRequest> requests = new ArrayList<>();
    for (ErasureRequest request : byId.values()) {
      if (!rejected.contains(request.requestId())) {
        requests.add(request);
      }
    }
    for (Problem problem : problems) {
      LOG.warn(problem.message());
    }
    LOG.info(
        "Requests {}: {} files, {} requests, {} problem lines",
        uri,
        files.size(),
        requests.size(),
        problems.size());
    return new Result(requests, problems);
  }

  private static void readFile(
      FileSystem fs, String file, Map<String, ErasureRequest> byId, List<Problem> problems) {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(fs.open(new Path(file)), StandardCharsets.UTF_8))) {
      String text;
      int number = 0;
      while ((text = in.readLine()) != null) {
        number++;
        if (number == 1 && text.startsWith("\uFEFF")) {
          // a byte-order mark (editors on Windows write one): not part of the first request
          text = text.substring(1);
        }
        if (text.isBlank()) {
          continue;
        }
        Line line = parse(file, number, text);
        if (line.problem() != null) {
          problems.add(line.problem());
          continue;
        }
        ErasureRequest request = line.request();
        ErasureRequest earlier = byId.putIfAbsent(request.requestId(), request);
        if (earlier != null && !earlier.sameContent(request)) {
          problems.add(
              new Problem(
                  file,
                  number,
                  request.requestId(),
                  "request_id "
                      + request.requestId()
                      + " is also given at "
                      + earlier.source()
                      + " with other content, so neither line is run; give each request its own"
                      + " request_id"));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read requests file " + file + ": " + e + "; check its permissions", e);
    }
  }

  private record Line(ErasureRequest request, Problem problem) {}

  /** One line as a request, or the problem with it. */
  static Line parse(String file, int number, String text) {
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      return problem(
          file,
          number,
          null,
          "it is not JSON ("
              + e.getOriginalMessage()
              + "); write one JSON object per line, e.g. {\"request_id\": \"r-001\","
              + " \"subject\": \"u123\"}");
    }
    if (node == null || !node.isObject()) {
      return problem(file, number, null, "it is not a JSON object; write one JSON object per line");
    }
    JsonNode idNode = node.get("request_id");
    String id = idNode != null && idNode.isTextual() ? idNode.textValue() : null;
    if (id == null || id.isBlank()) {
      return problem(
          file,
          number,
          null,
          "it has no request_id (a non-empty string); give every request a request_id");
    }
    Set<String> unknown = new TreeSet<>();
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        unknown.add(name);
      }
    }
    if (!unknown.isEmpty()) {
      return problem(
          file,
          number,
          id,
          "it has unknown field(s) "
              + String.join(", ", unknown)
              + "; give only request_id, subject or sample_ids, and received_at");
    }
    boolean hasSubject = node.has("subject");
    boolean hasIds = node.has("sample_ids");
    if (hasSubject == hasIds) {
      return problem(
          file,
          number,
          id,
          (hasSubject
                  ? "it has both subject and sample_ids"
                  : "it has neither subject nor sample_ids")
              + "; give exactly one of them");
    }
    String subject = null;
    List<String> ids = List.of();
    if (hasSubject) {
      JsonNode subjectNode = node.get("subject");
      if (!subjectNode.isTextual() || subjectNode.textValue().isBlank()) {
        return problem(
            file, number, id, "its subject is " + subjectNode + "; give a non-empty string");
      }
      subject = subjectNode.textValue();
    } else {
      JsonNode idsNode = node.get("sample_ids");
      if (!idsNode.isArray() || idsNode.isEmpty()) {
        return problem(
            file,
            number,
            id,
            "its sample_ids is "
                + idsNode
                + "; give a non-empty array of sample id strings, e.g. [\"train/17\"]");
      }
      Set<String> distinct = new TreeSet<>();
      for (JsonNode element : idsNode) {
        if (!element.isTextual() || element.textValue().isBlank()) {
          return problem(
              file,
              number,
              id,
              "its sample_ids holds " + element + "; every sample id is a non-empty string");
        }
        distinct.add(element.textValue());
      }
      ids = new ArrayList<>(distinct);
    }
    Instant receivedAt = null;
    JsonNode receivedNode = node.get("received_at");
    if (receivedNode != null && !receivedNode.isNull()) {
      receivedAt = receivedNode.isTextual() ? timestamp(receivedNode.textValue()) : null;
      if (receivedAt == null) {
        return problem(
            file,
            number,
            id,
            "its received_at is "
                + receivedNode
                + ", not an ISO-8601 date-time with an offset or a date; give e.g."
                + " \"2026-11-30T08:15:00Z\"");
      }
    }
    return new Line(new ErasureRequest(id, subject, ids, receivedAt, file + ":" + number), null);
  }

  private static Instant timestamp(String text) {
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException notDateTime) {
      try {
        return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
      } catch (DateTimeParseException notDate) {
        return null;
      }
    }
  }

  private static Line problem(String file, int number, String requestId, String reason) {
    return new Line(null, new Problem(file, number, requestId, reason));
  }
}
