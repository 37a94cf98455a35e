package dev.lethe.job.unlearn;

import dev.lethe.failure.FailureMessage;
import dev.lethe.job.model.ModelArtifact;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes one immutable model version through Hadoop's FileSystem (s3a://, file://, hdfs:// or a
 * plain path): {@code <out>/<model>/<version>/} with the given files, then {@code manifest.json}
 * LAST, then points {@code <out>/<model>/current.json} at it ({@link CurrentVersion}). A version
 * folder that exists is never touched, and a failure removes what this publish wrote.
 *
 * <p>Two write orders, chosen by the file system:
 *
 * <ul>
 *   <li>File systems with an atomic directory rename (file://, hdfs://, viewfs://): everything,
 *       manifest included, goes to {@code <out>/<model>/.tmp-<version>} first, renamed to the
 *       version folder at the end, so the version appears whole or not at all.
 *   <li>Object stores (s3a:// and every other scheme): a directory rename there is a copy of each
 *       object and a delete, in no guaranteed order, so a reader could see the manifest before the
 *       model. The files are written straight into the version folder, each with one PUT, and the
 *       manifest last: a version folder without a manifest is not a version, and a reader that sees
 *       the manifest sees every file it lists.
 * </ul>
 */
public final class Publisher {

  /** The manifest's file name. */
  public static final String MANIFEST = "manifest.json";

  /** The model's file name in a version. */
  public static final String MODEL = "model.pt";

  /** Schemes whose directory rename is atomic. */
  private static final Set<String> ATOMIC_RENAME = Set.of("file", "hdfs", "viewfs");

  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);

  private final Configuration conf;

  public Publisher(Configuration conf) {
    this.conf = conf;
  }

  /** One published file: its name, SHA-256 and size in bytes. */
  public record FileEntry(String name, String sha256, long size) {}

  /** Whether {@code fs} publishes through a temporary folder and a rename (else manifest last). */
  static boolean renamesAtomically(FileSystem fs) {
    String scheme = fs.getUri().getScheme();
    return scheme != null && ATOMIC_RENAME.contains(scheme.toLowerCase(Locale.ROOT));
  }

  /**
   * Writes {@code files} (name to bytes, in order), then the manifest that {@code manifest} makes
   * from their entries, as the version folder {@code <out>/<modelName>/<version>}.
   *
   * @return the URI of the version folder
   * @throws IllegalStateException when the version folder already exists
   * @throws UncheckedIOException naming the folder when writing fails
   */
  public String publish(
      String out,
      String modelName,
      String version,
      Map<String, byte[]> files,
      Function<List<FileEntry>, byte[]> manifest) {
    Path root = new Path(new Path(out), modelName);
    Path target = new Path(root, version);
    FileSystem fs;
    try {
      fs = root.getFileSystem(conf);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot publish to " + out + ": no file system for it (" + e.getMessage() + ")", e);
    }
    boolean rename = renamesAtomically(fs);
    Path dir = rename ? new Path(root, ".tmp-" + version) : target;
    boolean started = false;
    try {
      requireAbsent(fs, target);
      if (rename && fs.exists(dir)) {
        throw new IllegalStateException(
            "Cannot publish version "
                + version
                + ": its temporary folder "
                + dir
                + " exists (another run with the same version?); give another --run-id");
      }
      started = true;
      fs.mkdirs(dir);
      List<FileEntry> entries = new ArrayList<>();
      for (Map.Entry<String, byte[]> file : new LinkedHashMap<>(files).entrySet()) {
        write(fs, new Path(dir, file.getKey()), file.getValue());
        entries.add(
            new FileEntry(
                file.getKey(), ModelArtifact.sha256(file.getValue()), file.getValue().length));
      }
      byte[] manifestBytes = manifest.apply(List.copyOf(entries));
      write(fs, new Path(dir, MANIFEST), manifestBytes);
      if (rename) {
        requireAbsent(fs, target);
        if (!fs.rename(dir, target)) {
          throw new IOException("rename of " + dir + " to " + target + " returned false");
        }
      }
      started = false; // the version is published: a failure below must not remove it
      point(out, modelName, version, target, entries);
      return target.toString();
    } catch (IOException e) {
      if (started) {
        deleteQuietly(fs, dir);
      }
      throw new UncheckedIOException(
          "Cannot publish model version " + target + ": " + e + "; check the URI and permissions",
          e);
    } catch (RuntimeException e) {
      if (started) {
        deleteQuietly(fs, dir);
      }
      throw e;
    } catch (FSError e) {
      // Hadoop's local file system reports a full disk (and other I/O errors of the disk) as an
      // Error, not an IOException: still nothing half-written may stay behind
      if (started) {
        deleteQuietly(fs, dir);
      }
      throw new UncheckedIOException(
          "Cannot publish model version "
              + target
              + ": "
              + FailureMessage.firstLine(e.getCause() != null ? e.getCause() : e)
              + "; free space on that storage or give another --out",
          e.getCause() instanceof IOException io ? io : new IOException(e));
    }
  }

  /** Points {@code current.json} at the version just published (its model.pt, when it has one). */
  private void point(
      String out, String modelName, String version, Path target, List<FileEntry> entries) {
    FileEntry model = entries.stream().filter(e -> e.name().equals(MODEL)).findFirst().orElse(null);
    if (model == null) {
      return;
    }
    CurrentVersion current =
        CurrentVersion.of(version, new Path(target, MODEL).toString(), model.sha256());
    try {
      current.write(conf, out, modelName);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot point "
              + CurrentVersion.path(out, modelName)
              + " at version "
              + version
              + ": "
              + e
              + "; the version is published, write current.json by hand or publish again",
          e);
    }
  }

  private static void requireAbsent(FileSystem fs, Path target) throws IOException {
    if (fs.exists(target)) {
      throw new IllegalStateException(
          "Cannot publish version folder "
              + target
              + ": it exists and versions are never overwritten; give another --run-id");
    }
  }

  private static void write(FileSystem fs, Path path, byte[] bytes) throws IOException {
    try (OutputStream o = fs.create(path, false)) {
      o.write(bytes);
    }
  }

  /**
   * Removes {@code dir} and what it holds, best effort: a failure is logged, not thrown (a folder
   * without a manifest, or a run's work folder, is not a published version).
   */
  static void deleteQuietly(Configuration conf, Path dir) {
    try {
      deleteQuietly(dir.getFileSystem(conf), dir);
    } catch (IOException | RuntimeException e) {
      LOG.warn("Cannot remove {}: {}", dir, e.toString());
    }
  }

  private static void deleteQuietly(FileSystem fs, Path dir) {
    try {
      fs.delete(dir, true);
    } catch (IOException | RuntimeException e) {
      LOG.warn("Cannot remove {}: {}", dir, e.toString());
    }
  }
}
