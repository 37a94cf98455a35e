package dev.lethe.job.unlearn;

import dev.lethe.job.model.ModelArtifact;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Publishes one immutable model version through Hadoop's FileSystem (s3a://, file://, hdfs:// or a
 * plain path): {@code <out>/<model>/<version>/} with the given files, then {@code manifest.json}
 * LAST. Everything is written to {@code <out>/<model>/.tmp-<version>} first and renamed to the
 * final folder at the end; a version folder that exists is never touched, and a failure removes the
 * temporary folder.
 */
public final class Publisher {

  /** The manifest's file name. */
  public static final String MANIFEST = "manifest.json";

  private final Configuration conf;

  public Publisher(Configuration conf) {
    this.conf = conf;
  }

  /** One published file: its name, SHA-256 and size in bytes. */
  public record FileEntry(String name, String sha256, long size) {}

  /**
   * Writes {@code files} (name to bytes, in order), then the manifest that {@code manifest} makes
   * from their entries, then renames the temporary folder to the version folder.
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
    Path tmp = new Path(root, ".tmp-" + version);
    FileSystem fs;
    try {
      fs = root.getFileSystem(conf);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot publish to " + out + ": no file system for it (" + e.getMessage() + ")", e);
    }
    try {
      requireAbsent(fs, target);
      if (fs.exists(tmp)) {
        throw new IllegalStateException(
            "Cannot publish version "
                + version
                + ": its temporary folder "
                + tmp
                + " exists (another run with the same version?); give another --run-id");
      }
      fs.mkdirs(tmp);
      List<FileEntry> entries = new ArrayList<>();
      for (Map.Entry<String, byte[]> file : new LinkedHashMap<>(files).entrySet()) {
        write(fs, new Path(tmp, file.getKey()), file.getValue());
        entries.add(
            new FileEntry(
                file.getKey(), ModelArtifact.sha256(file.getValue()), file.getValue().length));
      }
      write(fs, new Path(tmp, MANIFEST), manifest.apply(List.copyOf(entries)));
      requireAbsent(fs, target);
      if (!fs.rename(tmp, target)) {
        throw new IOException("rename of " + tmp + " to " + target + " returned false");
      }
      return target.toString();
    } catch (IOException e) {
      deleteQuietly(fs, tmp);
      throw new UncheckedIOException(
          "Cannot publish model version " + target + ": " + e + "; check the URI and permissions",
          e);
    } catch (RuntimeException e) {
      deleteQuietly(fs, tmp);
      throw e;
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

  private static void deleteQuietly(FileSystem fs, Path tmp) {
    try {
      fs.delete(tmp, true);
    } catch (IOException | RuntimeException e) {
      // best effort: the temporary folder is not a published version (it has a .tmp- name)
    }
  }
}
