package dev.lethe.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

/**
 * Seeded mutations of an input's bytes or JSON text for the reader fuzz tests: bit flips,
 * truncations, insertions, deletions, odd values in header fields and, for JSON, token deletions,
 * duplications, swaps and replacements. Each mutant says how it was made, for a failing case's
 * message; the same {@link Random} seed makes the same mutant.
 */
public final class Mutations {

  private Mutations() {}

  /** A mutated input and how it was made from the original. */
  public record Mutant(byte[] bytes, String how) {

    public String text() {
      return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /**
   * A field of a binary header: {@code width} bytes (1, 2 or 4, big-endian) at {@code offset}, e.g.
   * an IDX dimension or a PNG's image width.
   */
  public record Field(String name, int offset, int width) {}

  /** Values that break readers that trust a header: zero, one, negative, huge. */
  private static final long[] ODD_VALUES = {
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0x8000,
    0xffff,
    0x10000,
    0x7fffffffL,
    0x80000000L,
    0xffffffffL,
    0x40000000L,
    0x00ffffffL,
    46341,
    65536L * 2
  };

  /**
   * One to three byte-level mutations of {@code base}; header fields, when given, get odd values in
   * about one mutant in four.
   */
  public static Mutant bytes(byte[] base, Random random, List<Field> fields) {
    byte[] bytes = base.clone();
    List<String> how = new ArrayList<>();
    int steps = 1 + (random.nextInt(4) == 0 ? 1 + random.nextInt(2) : 0);
    for (int step = 0; step < steps; step++) {
      int kind = random.nextInt(fields.isEmpty() ? 6 : 8);
      switch (kind) {
        case 0 -> {
          int flips = 1 + random.nextInt(8);
          StringBuilder at = new StringBuilder();
          for (int i = 0; i < flips && bytes.length > 0; i++) {
            int bit = random.nextInt(bytes.length * 8);
            bytes[bit / 8] ^= (byte) (1 << (bit % 8));
            at.append(i == 0 ? "" : ",").append(bit);
          }
          how.add("flip bits " + at);
        }
        case 1 -> {
          int keep = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
          bytes = Arrays.copyOf(bytes, keep);
          how.add("truncate to " + keep + " bytes");
        }
        case 2 -> {
          int at = random.nextInt(bytes.length + 1);
          byte[] insert = new byte[1 + random.nextInt(random.nextBoolean() ? 8 : 300)];
          random.nextBytes(insert);
          bytes = splice(bytes, at, 0, insert);
          how.add("insert " + insert.length + " random bytes at " + at);
        }
        case 3 -> {
          if (bytes.length > 0) {
            int at = random.nextInt(bytes.length);
            int length = Math.min(bytes.length - at, 1 + random.nextInt(32));
            bytes = splice(bytes, at, length, new byte[0]);
            how.add("delete " + length + " bytes at " + at);
          }
        }
        case 4 -> {
          if (bytes.length > 0) {
            int at = random.nextInt(bytes.length);
            long value = ODD_VALUES[random.nextInt(ODD_VALUES.length)];
            bytes[at] = (byte) value;
            how.add("set byte " + at + " to " + (value & 0xff));
          }
        }
        case 5 -> {
          if (bytes.length > 1) {
            int from = random.nextInt(bytes.length);
            int length = Math.min(bytes.length - from, 1 + random.nextInt(64));
            int to = random.nextInt(bytes.length);
            bytes = splice(bytes, to, 0, Arrays.copyOfRange(bytes, from, from + length));
            how.add("copy " + length + " bytes from " + from + " to " + to);
          }
        }
        default -> {
          Field field = fields.get(random.nextInt(fields.size()));
          long value =
              random.nextInt(3) == 0
                  ? random.nextLong()
                  : ODD_VALUES[random.nextInt(ODD_VALUES.length)];
          if (field.offset() + field.width() <= bytes.length) {
            for (int i = 0; i < field.width(); i++) {
              bytes[field.offset() + i] = (byte) (value >>> (8 * (field.width() - 1 - i)));
            }
            how.add("set " + field.name() + " to 0x" + Long.toHexString(value));
          }
        }
      }
    }
    return new Mutant(bytes, how.isEmpty() ? "unchanged" : String.join(", then ", how));
  }

  /** JSON tokens: strings, numbers, literals, punctuation, and the white space between them. */
  private static final Pattern TOKEN =
      Pattern.compile(
          "\"(?:[^\"\\\\]|\\\\.)*\"|-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?|true|false|null"
              + "|[{}\\[\\]:,]|\\s+|.");

  /** Tokens that a JSON reader should refuse or read as a value of an unexpected kind. */
  private static final String[] ODD_TOKENS = {
    "\"\"",
    "\"x\"",
    "0",
    "-1",
    "2147483648",
    "-2147483649",
    "1e999",
    "-0.0",
    "0.5",
    "99999999999999999999999999",
    "NaN",
    "null",
    "true",
    "[]",
    "{}",
    "[1,2]",
    "{\"a\":1}",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"" + "w".repeat(5000) + "\"",
    "[".repeat(3000),
    "{\"a\":".repeat(1500),
    ",",
    ":",
    "}",
    "]",
    "\"",
    "\\",
  };

  /**
   * One to three token-level mutations of a JSON text: delete, duplicate, swap or replace tokens,
   * truncate, insert a character; about one mutant in eight is a byte-level mutation instead.
   */
  public static Mutant json(String base, Random random) {
    if (random.nextInt(8) == 0) {
      return bytes(base.getBytes(java.nio.charset.StandardCharsets.UTF_8), random, List.of());
    }
    List<String> tokens = new ArrayList<>();
    Matcher m = TOKEN.matcher(base);
    while (m.find()) {
      tokens.add(m.group());
    }
    List<String> how = new ArrayList<>();
    int steps = 1 + (random.nextInt(3) == 0 ? 1 + random.nextInt(2) : 0);
    for (int step = 0; step < steps && !tokens.isEmpty(); step++) {
      int at = random.nextInt(tokens.size());
      switch (random.nextInt(6)) {
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
        case 3, 4 -> {
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
    return new Mutant(
        String.join("", tokens).getBytes(java.nio.charset.StandardCharsets.UTF_8),
        String.join(", then ", how));
  }

  /** The bytes gzipped. */
  public static byte[] gzip(byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static byte[] splice(byte[] bytes, int at, int remove, byte[] insert) {
    byte[] out = new byte[bytes.length - remove + insert.length];
    System.arraycopy(bytes, 0, out, 0, at);
    System.arraycopy(insert, 0, out, at, insert.length);
    System.arraycopy(bytes, at + remove, out, at + insert.length, bytes.length - at - remove);
    return out;
  }

  private static String clip(String token) {
    return token.length() <= 20 ? token : token.substring(0, 20) + "...(" + token.length() + ")";
  }
}
