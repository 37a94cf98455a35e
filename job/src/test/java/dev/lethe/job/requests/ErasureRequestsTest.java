package dev.lethe.job.requests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.lethe.job.ledger.Outcome;
import dev.lethe.job.ledger.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Requests files with good and malformed lines, read through Hadoop's local file system. */
class ErasureRequestsTest {

  @TempDir Path tmp;

  private Path folder;
  private String a;
  private String b;

  @BeforeEach
  void writeRequests() throws IOException {
    folder = Files.createDirectories(tmp.resolve("requests"));
    Files.writeString(
        folder.resolve("a.jsonl"),
        String.join(
            "\n",
            "{\"request_id\": \"r-001\", \"subject\": \"u123\"}",
            "   ",
            "{\"request_id\": \"r-002\", \"sample_ids\": [\"train/4023\", \"train/17\","
                + " \"train/17\"], \"received_at\": \"2026-11-30T08:15:00Z\"}",
            "not json",
            "{\"subject\": \"u1\"}",
            "{\"request_id\": \"r-003\", \"subject\": \"u1\", \"sample_ids\": [\"train/1\"]}",
            "{\"request_id\": \"r-004\"}",
            "{\"request_id\": \"r-005\", \"subject\": \"u5\", \"received_at\": \"yesterday\"}",
            ""));
    Files.writeString(
        folder.resolve("b.jsonl"),
        String.join(
            "\n",
            "{\"request_id\": \"r-001\", \"subject\": \"u123\"}",
            "{\"request_id\": \"r-002\", \"sample_ids\": [\"train/99\"]}",
            "{\"request_id\": \"r-006\", \"subject\": \"u6\", \"note\": \"x\"}",
            "{\"request_id\": \"r-007\", \"subject\": \"u7\", \"received_at\":"
                + " \"2026-11-30T09:00:00+01:00\"}",
            "{\"request_id\": \"r-008\", \"sample_ids\": []}",
            "{\"request_id\": \"r-009\", \"sample_ids\": [\"train/5\"], \"received_at\":"
                + " \"2026-11-30\"}"));
    Files.writeString(folder.resolve("_skipped.jsonl"), "garbage\n");
    Files.writeString(folder.resolve("notes.txt"), "garbage\n");
    a = "file:" + folder.resolve("a.jsonl");
    b = "file:" + folder.resolve("b.jsonl");
  }

  @Test
  void readsGoodRequestsAndReportsEveryMalformedLineWithFileAndLine() {
    ErasureRequests.Result result = ErasureRequests.read(new Configuration(), folder.toString());

    assertThat(result.requests())
        .as("valid requests, in file and line order")
        .extracting(
            ErasureRequest::requestId,
            ErasureRequest::subject,
            ErasureRequest::sampleIds,
            ErasureRequest::receivedAt,
            ErasureRequest::source)
        .containsExactly(
            tuple("r-001", "u123", List.of(), null, a + ":1"),
            tuple("r-007", "u7", List.of(), Instant.parse("2026-11-30T08:00:00Z"), b + ":4"),
            tuple(
                "r-009",
                null,
                List.of("train/5"),
                Instant.parse("2026-11-30T00:00:00Z"),
                b + ":6"));

    assertThat(result.problems())
        .as("problems: file, line, request id")
        .extracting(
            ErasureRequests.Problem::file,
            ErasureRequests.Problem::line,
            ErasureRequests.Problem::requestId)
        .containsExactly(
            tuple(a, 4, null),
            tuple(a, 5, null),
            tuple(a, 6, "r-003"),
            tuple(a, 7, "r-004"),
            tuple(a, 8, "r-005"),
            tuple(b, 2, "r-002"),
            tuple(b, 3, "r-006"),
            tuple(b, 5, "r-008"));
    assertThat(result.problems().get(1).message())
        .as("a line without request_id")
        .isEqualTo(
            "Cannot accept request at "
                + a
                + ":5: it has no request_id (a non-empty string); give every request a"
                + " request_id");
    assertThat(result.problems().get(2).message())
        .as("subject and ids both")
        .isEqualTo(
            "Cannot accept request r-003 at "
                + a
                + ":6: it has both subject and sample_ids; give exactly one of them");
    assertThat(result.problems().get(3).reason())
        .as("neither subject nor ids")
        .isEqualTo("it has neither subject nor sample_ids; give exactly one of them");
    assertThat(result.problems().get(4).reason())
        .as("a bad timestamp")
        .isEqualTo(
            "its received_at is \"yesterday\", not an ISO-8601 date-time with an offset or a"
                + " date; give e.g. \"2026-11-30T08:15:00Z\"");
    assertThat(result.problems().get(5).reason())
        .as("one request id with two contents")
        .isEqualTo(
            "request_id r-002 is also given at "
                + a
                + ":3 with other content, so neither line is run; give each request its own"
                + " request_id");
    assertThat(result.problems().get(6).reason())
        .as("an unknown field")
        .isEqualTo(
            "it has unknown field(s) note; give only request_id, subject or sample_ids, and"
                + " received_at");
    assertThat(result.problems().get(0).reason())
        .as("a line that is not JSON")
        .startsWith("it is not JSON (");

    assertThat(result.rejections())
        .as("rejected outcomes: one per request id with a problem")
        .extracting(Outcome::requestId, Outcome::status)
        .containsExactly(
            tuple("r-003", Status.REJECTED),
            tuple("r-004", Status.REJECTED),
            tuple("r-005", Status.REJECTED),
            tuple("r-002", Status.REJECTED),
            tuple("r-006", Status.REJECTED),
            tuple("r-008", Status.REJECTED));
    assertThat(result.rejections().get(3).reason())
        .as("the reason of r-002 names the line")
        .startsWith("Cannot accept request r-002 at " + b + ":2: ");
  }

  @Test
  void readsOneFileAndSortsAndDeduplicatesIds() throws IOException {
    Path file = tmp.resolve("one.jsonl");
    Files.writeString(
        file,
        "{\"request_id\": \"r-1\", \"sample_ids\": [\"train/9\", \"train/10\", \"train/9\"]}");
    ErasureRequests.Result result = ErasureRequests.read(new Configuration(), file.toString());
    assertThat(result.problems()).as("problems in a good file").isEmpty();
    assertThat(result.requests())
        .as("the request, its ids distinct and sorted")
        .extracting(ErasureRequest::sampleIds)
        .containsExactly(List.of("train/10", "train/9"));
  }

  /** A file saved with a byte-order mark and Windows line ends loses none of its requests. */
  @Test
  void aByteOrderMarkDoesNotHideTheFirstRequest() throws IOException {
    Path file = tmp.resolve("bom.jsonl");
    Files.writeString(
        file,
        "\uFEFF{\"request_id\": \"r-1\", \"sample_ids\": [\"train/9\"]}\r\n"
            + "{\"request_id\": \"r-2\", \"sample_ids\": [\"train/10\"]}\r\n");
    ErasureRequests.Result result = ErasureRequests.read(new Configuration(), file.toString());
    assertThat(result.problems()).isEmpty();
    assertThat(result.requests())
        .extracting(ErasureRequest::requestId)
        .containsExactly("r-1", "r-2");
  }

  @Test
  void aDuplicateKeyInOneLineIsAProblem() throws IOException {
    Path file = tmp.resolve("dup.jsonl");
    Files.writeString(file, "{\"request_id\": \"r-1\", \"subject\": \"a\", \"subject\": \"b\"}\n");
    ErasureRequests.Result result = ErasureRequests.read(new Configuration(), file.toString());
    assertThat(result.requests()).as("requests").isEmpty();
    assertThat(result.problems())
        .as("the line with a key twice")
        .singleElement()
        .extracting(ErasureRequests.Problem::reason)
        .asString()
        .startsWith("it is not JSON (Duplicate field 'subject')");
  }

  @Test
  void aMissingFolderIsAnError() {
    String missing = tmp.resolve("none").toString();
    assertThatThrownBy(() -> ErasureRequests.read(new Configuration(), missing))
        .as("requests that do not exist")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot read requests " + missing + ": it does not exist; check --requests");
    assertThatThrownBy(() -> ErasureRequest.ofSubject("r-1", null))
        .as("a request with neither subject nor ids")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot make request r-1: it names neither a subject nor sample ids; give one of them");
  }
}
