package dev.lethe.job.requests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.lethe.job.failure.FailureMessages;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzes the requests reader with seeded mutants of good JSON Lines files (JSON token deletions,
 * duplications, swaps and odd replacements; byte flips, truncations and insertions, invalid UTF-8
 * among them): every file is read, each bad line a {@link ErasureRequests.Problem} whose message
 * starts "Cannot accept", or the read is refused as the job would show it ("Cannot ...", not
 * "Unexpected failure"); never another exception or a hang. The failing case's message names its
 * seed and mutation. (lethe-common's InputReadersFuzzTest does the same for the data readers.)
 */
class ErasureRequestsFuzzTest {

  private static final long SEED = 0x1E7E_2026L + (6L << 32);
  private static final int CASES = 2500;

  private static final List<String> GOOD =
      List.of(
          "{\"request_id\": \"r-001\", \"subject\": \"u123\"}",
          "{\"request_id\": \"r-002\", \"sample_ids\": [\"train/4023\", \"train/17\"],"
              + " \"received_at\": \"2026-11-30T08:15:00Z\"}",
          "{\"request_id\": \"r-003\", \"subject\": \"u7\", \"received_at\": \"2026-11-30\"}");

  @TempDir Path tmp;

  /** The reader warns once per bad line: thousands here. */
  @BeforeAll
  static void quietTheReader() {
    Configurator.setLevel(ErasureRequests.class.getName(), Level.ERROR);
  }

  @AfterAll
  static void restoreTheReader() {
    Configurator.setLevel(ErasureRequests.class.getName(), Level.INFO);
  }

  @Test
  void requestsFilesAreReadOrRefusedCleanly() throws Exception {
    Configuration conf = new Configuration();
    Path file = tmp.resolve("requests.jsonl");
    AtomicReference<String> current = new AtomicReference<>("none yet");
    List<String> failures = new ArrayList<>();
    int[] seen = new int[3];
    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () -> {
          for (int i = 0; i < CASES && failures.size() < 10; i++) {
            long seed = SEED + i;
            Random random = new Random(seed);
            StringBuilder text = new StringBuilder();
            List<String> how = new ArrayList<>();
            int lines = 1 + random.nextInt(3);
            for (int l = 0; l < lines; l++) {
              String line = GOOD.get(random.nextInt(GOOD.size()));
              if (random.nextInt(4) != 0) {
                String[] mutant = mutate(line, random);
                line = mutant[0];
                how.add("line " + (l + 1) + ": " + mutant[1]);
              }
              text.append(line).append('\n');
            }
            byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
            if (random.nextInt(6) == 0) {
              int at = random.nextInt(bytes.length);
              bytes[at] = (byte) (0x80 | random.nextInt(0x80));
              how.add("byte " + at + " set to an invalid UTF-8 byte");
            }
            String name = "seed " + seed + " (" + String.join("; ", how) + ")";
            current.set(name);
            Files.write(file, bytes);
            try {
              ErasureRequests.Result result = ErasureRequests.read(conf, "file:" + file);
              for (ErasureRequests.Problem problem : result.problems()) {
                if (!problem.message().startsWith("Cannot accept request ")) {
                  failures.add(name + ": problem message " + problem.message());
                }
              }
              seen[0] += result.requests().size();
              seen[1] += result.problems().size();
            } catch (Throwable t) {
              if (t instanceof VirtualMachineError
                  || FailureMessages.describe(t).startsWith("Unexpected")) {
                failures.add(name + " threw\n" + trace(t));
              } else {
                seen[2]++;
              }
            }
          }
        },
        () -> "requests fuzz did not finish; it was reading " + current.get());
    assertThat(failures).as("requests files neither read nor cleanly refused").isEmpty();
    assertThat(seen[0]).as("requests still read from mutants").isPositive();
    assertThat(seen[1]).as("problem lines found in mutants").isPositive();
  }

  /** JSON tokens: strings, numbers, literals, punctuation, white space, any other character. */
  private static final Pattern TOKEN =
      Pattern.compile(
          "\"(?:[^\"\\\\]|\\\\.)*\"|-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?|true|false|null"
              + "|[{}\\[\\]:,]|\\s+|.");

  private static final String[] ODD_TOKENS = {
    "\"\"",
    "\" \"",
    "\"x\"",
    "0",
    "-1",
    "1e999",
    "2147483648",
    "null",
    "true",
    "[]",
    "{}",
    "[1]",
    "[\"\"]",
    "[null]",
    "{\"a\":1}",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"2026-02-30\"",
    "\"2026-11-30T25:00:00Z\"",
    "\"+999999999-12-31T23:59:59Z\"",
    "\"received_at\"",
    "\"request_id\"",
    "\"subject\"",
    "\"sample_ids\"",
    "[".repeat(3000),
    "\"" + "w".repeat(4000) + "\"",
    ",",
    ":",
    "}",
    "]",
    "\"",
    "\\",
    "\n",
    "\r",
  };

  /** A JSON token mutation of one line, and how it was made. */
  private static String[] mutate(String line, Random random) {
    List<String> tokens = new ArrayList<>();
    Matcher m = TOKEN.matcher(line);
    while (m.find()) {
      tokens.add(m.group());
    }
    List<String> how = new ArrayList<>();
    int steps = 1 + (random.nextInt(3) == 0 ? 1 + random.nextInt(2) : 0);
    for (int step = 0; step < steps && !tokens.isEmpty(); step++) {
      int at = random.nextInt(tokens.size());
      switch (random.nextInt(5)) {
        case 0 -> how.add("delete token " + at + " " + clip(tokens.remove(at)));
        case 1 -> {
          tokens.add(at, tokens.get(at));
          how.add("duplicate token " + at + " " + clip(tokens.get(at)));
        }
        case 2 -> {
          int other = random.nextInt(tokens.size());
          String t = tokens.get(at);
          tokens.set(at, tokens.get(other));
          tokens.set(other, t);
          how.add("swap tokens " + at + " and " + other);
        }
        case 3 -> {
          String odd = ODD_TOKENS[random.nextInt(ODD_TOKENS.length)];
          how.add("replace token " + at + " " + clip(tokens.get(at)) + " with " + clip(odd));
          tokens.set(at, odd);
        }
        default -> {
          String text = String.join("", tokens);
          int cut = random.nextInt(text.length() + 1);
          tokens = new ArrayList<>(List.of(text.substring(0, cut)));
          how.add("truncate to " + cut + " characters");
        }
      }
    }
    return new String[] {String.join("", tokens), String.join(", then ", how)};
  }

  private static String clip(String token) {
    String shown = token.replace("\n", "\\n").replace("\r", "\\r");
    return shown.length() <= 20 ? shown : shown.substring(0, 20) + "...(" + token.length() + ")";
  }

  private static String trace(Throwable t) {
    StringWriter out = new StringWriter();
    t.printStackTrace(new PrintWriter(out));
    return out.toString().lines().limit(25).reduce((a, b) -> a + "\n" + b).orElse("");
  }
}
