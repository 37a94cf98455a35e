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
 * where images are files ending in .png, .jpg, .jpeg, .bmp, .tif or .tiff (any case), possibly in
 * subfolders of the class folder. Files with the other extensions torchvision's ImageFolder reads
 * (.webp, .ppm, .pgm) are refused, naming one: javax.imageio cannot decode them, and skipping them
 * would leave an image of a forget folder unforgotten. Other files, hidden files, and files
 * directly under root, are ignored. Order is deterministic: sorted by id, where the id is the path
 * relative to root with '/' separators (e.g. {@code 3/img_0007.png}). Labels come from a {@link
 * ClassIndex}.
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
    List<String> undecodable = new ArrayList<>();
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
            .forEach(
                file -> {
                  String name = file.getFileName().toString();
                  if (isImageName(name)) {
                    entries.add(new Entry(idOf(root, file), className, file));
                  } else if (isUndecodableImageName(name)) {
                    undecodable.add(idOf(root, file));
                  }
                });
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
    refuseUndecodable(root.toString(), undecodable);
    if (entries.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot read image folder "
              + root
              + ": it holds no "
              + EXTENSIONS
              + " files in class folders; lay it out as root/<class>/<image>.png");
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

  /** The image file extensions Lethe reads, for messages. */
  public static final String EXTENSIONS = ".png, .jpg, .jpeg, .bmp, .tif or .tiff";

  private static final List<String> READ =
      List.of(".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff");

  /** Image extensions torchvision's ImageFolder reads that javax.imageio cannot decode. */
  private static final List<String> UNDECODABLE = List.of(".webp", ".ppm", ".pgm");

  /** Whether a file name has one of the {@link #EXTENSIONS}, in any case. */
  public static boolean isImage(Path file) {
    Path name = file.getFileName();
    return name != null && isImageName(name.toString());
  }

  /** Whether a file name has one of the {@link #EXTENSIONS}, in any case, and is not hidden. */
  public static boolean isImageName(String fileName) {
    return hasExtension(fileName, READ);
  }

  /**
   * Whether a file name is an image torchvision's ImageFolder would read but Lethe cannot decode
   * (.webp, .ppm, .pgm, in any case), and is not hidden.
   */
  public static boolean isUndecodableImageName(String fileName) {
    return hasExtension(fileName, UNDECODABLE);
  }

  /**
   * Refuses an image folder holding images Lethe cannot decode, naming the first of them.
   *
   * @param ids the undecodable images' ids, in any order; nothing happens when empty
   * @throws IllegalArgumentException naming the folder, how many there are and one of them
   */
  public static void refuseUndecodable(String root, List<String> ids) {
    if (ids.isEmpty()) {
      return;
    }
    String first = ids.stream().min(Comparator.naturalOrder()).orElseThrow();
    throw new IllegalArgumentException(
        "Cannot read image folder "
            + root
            + ": "
            + ids.size()
            + (ids.size() == 1 ? " image is" : " images are")
            + " in a format Lethe cannot decode (.webp, .ppm or .pgm), e.g. "
            + first
            + "; convert them to PNG (lossless), or move them out of the folder if they are"
            + " not part of the data");
  }

  private static boolean hasExtension(String fileName, List<String> extensions) {
    String lower = fileName.toLowerCase(Locale.ROOT);
    if (lower.startsWith(".")) {
      return false;
    }
    for (String extension : extensions) {
      if (lower.endsWith(extension)) {
        return true;
      }
    }
    return false;
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
