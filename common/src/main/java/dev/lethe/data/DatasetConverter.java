package dev.lethe.data;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;

/**
 * Converts an IDX image/label pair to an image folder ({@code out/<label>/<prefix>-<index>.png}) or
 * to a Parquet file (see {@link ParquetSampleWriter}).
 *
 * <pre>
 * DatasetConverter --images F --labels F --to folder|parquet --out DIR_OR_FILE
 *                  [--limit N] [--offset N]
 * </pre>
 *
 * <p>Exit codes: 0 done, 1 the conversion failed, 2 bad arguments.
 */
public final class DatasetConverter {

  /** Exit code for bad arguments. */
  public static final int EXIT_USAGE = 2;

  /** Exit code for a conversion that failed. */
  public static final int EXIT_FAILED = 1;

  private static final String USAGE =
      "usage: DatasetConverter --images F --labels F --to folder|parquet --out DIR_OR_FILE"
          + " [--limit N] [--offset N]\n"
          + "  --images  IDX image file (gzipped or raw)\n"
          + "  --labels  IDX label file (gzipped or raw)\n"
          + "  --to      folder: out/<label>/<prefix>-<index>.png; parquet: one Parquet file\n"
          + "            with columns id, label, image (PNG bytes)\n"
          + "  --out     a folder that does not exist or is empty, or a Parquet file to create\n"
          + "            (any Hadoop path, e.g. s3a://bucket/key.parquet)\n"
          + "  --limit   convert at most N images\n"
          + "  --offset  skip the first N images";

  private DatasetConverter() {}

  /** Runs the conversion and exits with the code of {@link #run}. */
  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /**
   * Runs the conversion, printing what it wrote to {@code out} and problems to {@code err}.
   *
   * @return 0 when done, {@link #EXIT_FAILED} when the conversion failed, {@link #EXIT_USAGE} for
   *     bad arguments
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Map<String, String> options;
    int limit;
    int offset;
    try {
      options = parse(args);
      limit = intOption(options, "--limit", IdxReader.NO_LIMIT);
      offset = intOption(options, "--offset", 0);
      for (String required : List.of("--images", "--labels", "--to", "--out")) {
        if (!options.containsKey(required)) {
          throw new IllegalArgumentException(
              "Cannot convert: option " + required + " is missing; give it");
        }
      }
      String to = options.get("--to");
      if (!to.equals("folder") && !to.equals("parquet")) {
        throw new IllegalArgumentException(
            "Cannot convert: --to " + to + " is not a known output; give folder or parquet");
      }
    } catch (IllegalArgumentException e) {
      err.println(e.getMessage());
      err.println(USAGE);
      return EXIT_USAGE;
    }
    try {
      Path images = Path.of(options.get("--images"));
      Path labels = Path.of(options.get("--labels"));
      String prefix = IdxReader.prefixOf(images.getFileName().toString());
      List<Sample> samples = IdxReader.read(images, labels, prefix, offset, limit);
      String destination = options.get("--out");
      if (options.get("--to").equals("folder")) {
        writeFolder(samples, prefix, Path.of(destination));
        out.println(
            "Wrote "
                + describe(samples)
                + " from "
                + images
                + " to the image folder "
                + destination
                + " as <label>/"
                + prefix
                + "-<index>.png");
      } else {
        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(destination);
        ParquetSampleWriter.write(file, new Configuration(), samples);
        out.println(
            "Wrote "
                + describe(samples)
                + " from "
                + images
                + " to the Parquet file "
                + destination
                + " (columns id, label, image as PNG)");
      }
      return 0;
    } catch (IllegalArgumentException | UncheckedIOException e) {
      err.println(e.getMessage());
      return EXIT_FAILED;
    }
  }

  private static void writeFolder(List<Sample> samples, String prefix, Path root) {
    if (Files.exists(root)) {
      boolean empty;
      try (Stream<Path> children = Files.list(root)) {
        empty = children.findAny().isEmpty();
      } catch (IOException e) {
        throw new UncheckedIOException(
            "Cannot write image folder " + root + ": it cannot be listed (" + e + ")", e);
      }
      if (!empty) {
        throw new IllegalArgumentException(
            "Cannot write image folder "
                + root
                + ": it exists and is not empty; remove it or give another --out");
      }
    }
    for (Sample sample : samples) {
      String index = sample.id().substring(sample.id().lastIndexOf('/') + 1);
      Path file =
          root.resolve(Integer.toString(sample.label())).resolve(prefix + "-" + index + ".png");
      try {
        Files.createDirectories(file.getParent());
        Files.write(file, ImageEncoder.png(sample));
      } catch (IOException e) {
        throw new UncheckedIOException(
            "Cannot write image file " + file + ": " + e + "; check free space and permissions", e);
      }
    }
  }

  private static String describe(List<Sample> samples) {
    if (samples.isEmpty()) {
      return "0 images";
    }
    Map<Integer, Integer> perLabel = new TreeMap<>();
    for (Sample sample : samples) {
      perLabel.merge(sample.label(), 1, Integer::sum);
    }
    return samples.size()
        + " images of shape "
        + samples.get(0).shape()
        + " ("
        + samples.get(0).id()
        + " .. "
        + samples.get(samples.size() - 1).id()
        + "; images per label "
        + perLabel
        + ")";
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> options = new TreeMap<>();
    List<String> known = List.of("--images", "--labels", "--to", "--out", "--limit", "--offset");
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      if (!known.contains(name)) {
        throw new IllegalArgumentException(
            "Cannot convert: unknown argument " + name + "; give only the options below");
      }
      if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
        throw new IllegalArgumentException(
            "Cannot convert: option " + name + " has no value; give one after it");
      }
      if (options.put(name, args[++i]) != null) {
        throw new IllegalArgumentException(
            "Cannot convert: option " + name + " is given twice; give it once");
      }
    }
    return options;
  }

  private static int intOption(Map<String, String> options, String name, int absent) {
    String value = options.get(name);
    if (value == null) {
      return absent;
    }
    try {
      int parsed = Integer.parseInt(value);
      if (parsed >= 0) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "Cannot convert: " + name + " " + value + " is not a whole number of 0 or more; give one");
  }
}
