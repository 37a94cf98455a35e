package dev.lethe.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Reads an image folder laid out like torchvision's ImageFolder: {@code root/<class>/<image>},
 * where images are files ending in .png, .jpg or .jpeg (any case), possibly in subfolders of the
 * class folder. Other files, and files directly under root, are ignored. Order is deterministic:
 * sorted by id, where the id is the path relative to root with '/' separators (e.g. {@code
 * 3/img_0007.png}). Labels come from a {@link ClassIndex}.
 *
 * <p>Listing ({@link #list}) is separate from decoding ({@link ImageDecoder}), so callers on other
 * file systems can list files themselves and decode the bytes.
 */
public final class ImageFolderReader {

  private ImageFolderReader() {}

  /** One image file found under the root. */
  public record Entry(String id, String className, Path file) {}

  /**
   * Lists the image files under {@code root}, sorted by id.
   *
   * @throws IllegalArgumentException naming root when it is not a folder or holds no images in
   *     class folders
   * @throws UncheckedIOException naming the folder that cannot be listed
   */
  public static List<Entry> list(Path root) {
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException(
          "Cannot read image folder "
              + root
              + ": it is not a folder; give a folder laid out as root/<class>/<image>.png");
    }
    List<Entry> entries = new ArrayList<>();
    for (Path classFolder : children(root)) {
      if (!Files.isDirectory(classFolder)) {
        continue;
      }
      String className = classFolder.getFileName().toString();
      if (className.startsWith(".")) {
        continue;
      }
      try (Stream<Path> files = Files.walk(classFolder)) {
        files
            .filter(Files::isRegularFile)
            .filter(ImageFolderReader::isImage)
            .forEach(file -> entries.add(new Entry(idOf(root, file), className, file)));
      } catch (IOException | UncheckedIOException e) {
        throw new UncheckedIOException(
            "Cannot list class folder "
                + classFolder
                + ": "
                + e.getMessage()
                + "; check its permissions",
            e instanceof IOException io ? io : ((UncheckedIOException) e).getCause());
      }
    }
    if (entries.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot read image folder "
              + root
              + ": it holds no .png, .jpg or .jpeg files in class folders; lay it out as"
              + " root/<class>/<image>.png");
    }
    entries.sort(Comparator.comparing(Entry::id));
    return entries;
  }

  /**
   * Reads and labels every image under {@code root}.
   *
   * @param classNames the model's class names in output order; empty when unknown (then folder
   *     names must be class indices, see {@link ClassIndex})
   */
  public static List<Sample> read(Path root, List<String> classNames) {
    List<Entry> entries = list(root);
    Set<String> folders = new TreeSet<>();
    for (Entry entry : entries) {
      folders.add(entry.className());
    }
    return decode(entries, ClassIndex.resolve(root.toString(), folders, classNames));
  }

  /** Reads every image under {@code root}, labelled by {@code classIndex}. */
  public static List<Sample> read(Path root, ClassIndex classIndex) {
    return decode(list(root), classIndex);
  }

  /** Whether a file name ends in .png, .jpg or .jpeg, in any case. */
  public static boolean isImage(Path file) {
    Path name = file.getFileName();
    return name != null && isImageName(name.toString());
  }

  /** Whether a file name ends in .png, .jpg or .jpeg, in any case, and is not hidden. */
  public static boolean isImageName(String fileName) {
    String lower = fileName.toLowerCase(Locale.ROOT);
    return !lower.startsWith(".")
        && (lower.endsWith(".png") || lower.endsWith(".jpg") || lower.endsWith(".jpeg"));
  }

  private static List<Sample> decode(List<Entry> entries, ClassIndex classIndex) {
    List<Sample> samples = new ArrayList<>(entries.size());
    for (Entry entry : entries) {
      int label = classIndex.indexOf(entry.className());
      byte[] bytes;
      try {
        bytes = Files.readAllBytes(entry.file());
      } catch (IOException e) {
        throw new UncheckedIOException(
            "Cannot read image file " + entry.file() + ": " + e + "; check its permissions", e);
      }
      samples.add(ImageDecoder.decode(entry.id(), label, bytes));
    }
    return samples;
  }

  private static List<Path> children(Path root) {
    try (Stream<Path> children = Files.list(root)) {
      return children.sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot list image folder " + root + ": " + e + "; check its permissions", e);
    }
  }

  private static String idOf(Path root, Path file) {
    Path relative = root.relativize(file);
    StringBuilder id = new StringBuilder();
    for (Path part : relative) {
      if (id.length() > 0) {
        id.append('/');
      }
      id.append(part);
    }
    return id.toString();
  }
}
