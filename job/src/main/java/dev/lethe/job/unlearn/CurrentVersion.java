package dev.lethe.job.unlearn;

import dev.lethe.job.report.JobJson;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * The pointer to a model's newest version, {@code <out>/<model name>/current.json}: the version's
 * name, its model's URI and SHA-256, and when the pointer was written. {@link Publisher} writes it
 * after the version's manifest; the next sweep and a serving system read it.
 *
 * <p>Replaced whole, never seen half written: where the file system renames atomically (file://,
 * hdfs://, viewfs://) it is written to a temporary file and renamed over the old one; on an object
 * store (s3a://) one PUT of the whole object is atomic.
 */
public record CurrentVersion(
    String version, String modelUri, String modelSha256, String writtenAt) {

  /** The pointer's file name, in the model's folder. */
  public static final String FILE = "current.json";

  public CurrentVersion {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(modelUri, "modelUri");
    Objects.requireNonNull(modelSha256, "modelSha256");
    Objects.requireNonNull(writtenAt, "writtenAt");
  }

  /** A pointer to {@code version} written now. */
  public static CurrentVersion of(String version, String modelUri, String modelSha256) {
    return new CurrentVersion(version, modelUri, modelSha256, Instant.now().toString());
  }

  /** Where the pointer of {@code modelName} under {@code out} lives. */
  public static Path path(String out, String modelName) {
    return new Path(new Path(new Path(out), modelName), FILE);
  }

  /**
   * The pointer of {@code modelName} under {@code out}, or empty when no version was published.
   *
   * @throws UncheckedIOException naming the file when it exists but cannot be read
   */
  public static Optional<CurrentVersion> read(Configuration conf, String out, String modelName) {
    Path file = path(out, modelName);
    try {
      FileSystem fs = file.getFileSystem(conf);
      try (InputStream in = fs.open(file)) {
        return Optional.of(JobJson.mapper().readValue(in, CurrentVersion.class));
      } catch (FileNotFoundException e) {
        return Optional.empty();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read the current version " + file + ": " + e + "; check --out and permissions",
          e);
    }
  }

  /**
   * Writes this pointer as {@code <out>/<modelName>/current.json}, replacing the old one whole.
   *
   * @throws IOException when it cannot be written
   */
  void write(Configuration conf, String out, String modelName) throws IOException {
    Path file = path(out, modelName);
    FileSystem fs = file.getFileSystem(conf);
    byte[] bytes = JobJson.indented(this);
    if (!Publisher.renamesAtomically(fs)) {
      try (OutputStream o = fs.create(file, true)) {
        o.write(bytes);
      }
      return;
    }
    Path tmp = new Path(file.getParent(), "." + FILE + ".tmp-" + version);
    if ("file".equals(fs.getUri().getScheme())) {
      // Hadoop's local file system would leave .crc files next to the pointer; java.nio renames
      // over the old file with one rename(2).
      java.nio.file.Path local = java.nio.file.Path.of(fs.makeQualified(file).toUri());
      java.nio.file.Path localTmp = java.nio.file.Path.of(fs.makeQualified(tmp).toUri());
      try {
        Files.write(localTmp, bytes);
        Files.move(
            localTmp, local, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(localTmp);
      }
      return;
    }
    try {
      try (OutputStream o = fs.create(tmp, true)) {
        o.write(bytes);
      }
      FileContext.getFileContext(fs.getUri(), conf).rename(tmp, file, Options.Rename.OVERWRITE);
    } finally {
      if (fs.exists(tmp)) {
        fs.delete(tmp, false);
      }
    }
  }
}
