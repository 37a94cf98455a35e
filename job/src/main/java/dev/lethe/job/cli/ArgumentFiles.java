package dev.lethe.job.cli;

import dev.lethe.job.failure.UsageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code @FILE} arguments, read before picocli sees the command line.
 *
 * <p>A file after {@code --forget-ids} is an id file: one id per line, as written, so that an image
 * folder's ids with spaces in them ({@code cat/IMG 0001.jpg}) need no quotes. Commas on a line
 * separate ids as on the command line; blank lines and lines starting with {@code #} are skipped, a
 * byte-order mark and Windows line ends are dropped, and double quotes around a whole id (the form
 * picocli's argument files asked for) are removed. Every other {@code @FILE} is left to picocli
 * (the words of the file), after a check that it exists and holds any: picocli would pass a missing
 * file on as a literal argument and drop an empty one silently. {@code @@x} stays the literal
 * {@code @x}.
 */
public final class ArgumentFiles {
  private static final String IDS = "--forget-ids";

  private ArgumentFiles() {}

  /** {@code args} with each id file after {@code --forget-ids} replaced by its ids. */
  public static String[] read(String[] args) {
    List<String> out = new ArrayList<>(args.length);
    boolean inIds = false;
    for (String arg : args) {
      if (arg.startsWith(IDS + "=@") && !arg.startsWith(IDS + "=@@")) {
        out.add(IDS + "=" + ids(arg.substring(IDS.length() + 1)));
        inIds = false;
        continue;
      }
      if (arg.startsWith("-")) {
        inIds = arg.equals(IDS);
        out.add(arg);
        continue;
      }
      if (isFile(arg)) {
        out.add(inIds ? ids(arg) : checked(arg));
      } else {
        out.add(arg);
      }
    }
    return out.toArray(String[]::new);
  }

  private static boolean isFile(String arg) {
    return arg.length() >= 2 && arg.charAt(0) == '@' && arg.charAt(1) != '@';
  }

  /** The ids of the id file {@code arg} ("@ids.txt"), joined by commas. */
  private static String ids(String arg) {
    List<String> ids = new ArrayList<>();
    for (String line : lines(arg)) {
      for (String id : line.split(",")) {
        String stripped = id.strip();
        if (stripped.length() >= 2 && stripped.startsWith("\"") && stripped.endsWith("\"")) {
          stripped = stripped.substring(1, stripped.length() - 1);
        }
        if (!stripped.isEmpty()) {
          ids.add(stripped);
        }
      }
    }
    if (ids.isEmpty()) {
      throw new UsageException(
          "Cannot use id file "
              + path(arg).toAbsolutePath()
              + " (from "
              + IDS
              + " "
              + arg
              + "): it holds no ids; write one sample id per line");
    }
    return String.join(",", ids);
  }

  private static String checked(String arg) {
    if (lines(arg).isEmpty()) {
      throw new UsageException(
          "Cannot use argument file "
              + path(arg).toAbsolutePath()
              + " (from "
              + arg
              + "): it holds no arguments; write the arguments into it");
    }
    return arg;
  }

  /** The file's lines that are neither blank nor comments, without a byte-order mark. */
  private static List<String> lines(String arg) {
    Path file = path(arg);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new UsageException(
          "Cannot read argument file "
              + file.toAbsolutePath()
              + " (from "
              + arg
              + "): no such file; give the path of a file of ids, e.g. --forget-ids @ids.txt");
    } catch (IOException | UncheckedIOException e) {
      throw new UsageException(
          "Cannot read argument file " + file.toAbsolutePath() + " (from " + arg + "): " + e);
    }
    return text.replace("\uFEFF", "")
        .lines()
        .filter(l -> !l.isBlank() && !l.strip().startsWith("#"))
        .toList();
  }

  private static Path path(String arg) {
    return Path.of(arg.substring(1));
  }
}
