package dev.lethe.job.model;

import dev.lethe.job.shutdown.Interruption;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model file fetched on the driver through Hadoop's FileSystem (s3a://, file://, hdfs:// or a
 * plain path): its bytes (to broadcast once), their SHA-256, its JSON sidecar when there is one
 * ({@code model.pt} -> {@code model.lethe.json}, else the old name {@code model.json} when it looks
 * like Lethe's, see {@link SpecResolver#findSidecar}), and a local copy of both that DJL can load.
 * Messages about the copy name the original URIs. Close it to delete the copy.
 */
public final class ModelArtifact implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ModelArtifact.class);

  private final String uri;
  private final byte[] bytes;
  private final String sha256;
  private final String sidecarUri;
  private final byte[] sidecarBytes;
  private final java.nio.file.Path dir;
  private final java.nio.file.Path localFile;
  private final java.nio.file.Path localSidecar;
  private final Interruption.Cleanup onStop;

  private ModelArtifact(
      String uri,
      byte[] bytes,
      String sidecarUri,
      byte[] sidecarBytes,
      java.nio.file.Path dir,
      java.nio.file.Path localFile,
      java.nio.file.Path localSidecar,
      Interruption.Cleanup onStop) {
    this.uri = uri;
    this.bytes = bytes;
    this.sha256 = sha256(bytes);
    this.sidecarUri = sidecarUri;
    this.sidecarBytes = sidecarBytes;
    this.dir = dir;
    this.localFile = localFile;
    this.localSidecar = localSidecar;
    this.onStop = onStop;
  }

  /**
   * Reads the model file at {@code uri} and its sidecar, if any, and copies both to a local
   * temporary folder.
   *
   * @throws IllegalArgumentException naming the URI when the file does not exist, is a folder, is
   *     empty or is too large to broadcast
   * @throws UncheckedIOException naming the URI when it cannot be read
   */
  public static ModelArtifact fetch(String uri, Configuration conf) {
    Path path = new Path(uri);
    FileSystem fs;
    try {
      fs = path.getFileSystem(conf);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "Cannot read model "
              + uri
              + ": no file system for it ("
              + e.getMessage()
              + "); give an s3a://, file:// or hdfs:// URI or a path",
          e);
    }
    FileStatus status;
    try {
      status = fs.getFileStatus(path);
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException(
          "Cannot read model "
              + uri
              + ": it does not exist; give the URI or path of a TorchScript .pt file",
          e);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read model " + uri + ": " + e + "; check the URI, credentials and permissions",
          e);
    }
    if (!status.isFile()) {
      throw new IllegalArgumentException(
          "Cannot read model " + uri + ": it is a folder; give the URI of a TorchScript .pt file");
    }
    if (status.getLen() == 0 || status.getLen() > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException(
          "Cannot read model "
              + uri
              + ": it holds "
              + status.getLen()
              + " bytes; a TorchScript model of 1 byte to 2 GiB is needed");
    }
    byte[] bytes = readAll(fs, path, "model " + uri);
    // Lethe's sidecar (model.lethe.json); else the old name (model.json) when it looks like Lethe's
    // (another tool's model.json is ignored, with a line saying so).
    java.nio.file.Path name = java.nio.file.Path.of(path.getName());
    Path sidecar = new Path(path.getParent(), SpecResolver.sidecarPath(name).toString());
    byte[] sidecarBytes = readIfFile(fs, sidecar);
    if (sidecarBytes == null) {
      Path old = new Path(path.getParent(), SpecResolver.oldSidecarPath(name).toString());
      byte[] oldBytes = readIfFile(fs, old);
      if (oldBytes != null) {
        String why = SpecResolver.notLethes(oldBytes);
        if (why == null) {
          LOG.warn("Model {}: {}", uri, SpecResolver.oldNameNotice(name));
          sidecar = old;
          sidecarBytes = oldBytes;
        } else {
          LOG.warn("Model {}: {}", uri, SpecResolver.ignoredNotice(name, why));
        }
      }
    }
    String sidecarName = sidecar.getName();
    java.nio.file.Path dir = null;
    Interruption.Cleanup onStop = null;
    try {
      dir = Files.createTempDirectory("lethe-model-");
      java.nio.file.Path copy = dir;
      // A JVM stopped by a signal removes the copy too (Interruption's hook).
      onStop = Interruption.onStop("local model copy " + dir, () -> deleteQuietly(copy));
      java.nio.file.Path local = dir.resolve(path.getName());
      Files.write(local, bytes);
      java.nio.file.Path localSidecar = dir.resolve(sidecarName);
      if (sidecarBytes != null) {
        Files.write(localSidecar, sidecarBytes);
      }
      return new ModelArtifact(
          uri,
          bytes,
          sidecarBytes == null ? null : sidecar.toString(),
          sidecarBytes,
          dir,
          local,
          localSidecar,
          onStop);
    } catch (IOException e) {
      deleteQuietly(dir);
      if (onStop != null) {
        onStop.close();
      }
      throw new UncheckedIOException(
          "Cannot copy model "
              + uri
              + " to a local temporary folder: "
              + e
              + "; check free space in java.io.tmpdir",
          e);
    }
  }

  /** The URI the model was read from, as given. */
  public String uri() {
    return uri;
  }

  /** The model file's bytes (not a copy: do not change them). */
  public byte[] bytes() {
    return bytes;
  }

  /** The SHA-256 of the model file, in lower-case hex. */
  public String sha256() {
    return sha256;
  }

  /** The file name of the model (its last path segment). */
  public String fileName() {
    return localFile.getFileName().toString();
  }

  /** The URI of the sidecar, when the model has one. */
  public Optional<String> sidecarUri() {
    return Optional.ofNullable(sidecarUri);
  }

  /** The sidecar's bytes as read by {@link #fetch}, when the model has one (not a copy). */
  public Optional<byte[]> sidecarBytes() {
    return Optional.ofNullable(sidecarBytes);
  }

  /**
   * What the sidecar says about the model; an empty partial spec when there is none.
   *
   * @throws IllegalArgumentException naming the sidecar URI when it is not a valid sidecar
   */
  public SpecResolver.Partial sidecar() {
    try {
      SpecResolver.Partial p = SpecResolver.readSidecarOf(localFile);
      if (sidecarUri == null) {
        return p;
      }
      return p.withSource("sidecar " + sidecarUri);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read model sidecar " + sidecarUri + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw withUris(e);
    }
  }

  /**
   * Loads the model on the driver: spec from the sidecar, then {@code options}.
   *
   * @throws IllegalArgumentException naming the model URI when it is not a usable classifier
   */
  public Classifier load(SpecResolver.Partial options, boolean trainable) {
    try {
      return Classifier.load(localFile, options, Classifier.defaultDevice(), trainable);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot load model " + uri + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw withUris(e);
    }
  }

  /** The same failure with the local copy's paths replaced by the URIs they came from. */
  RuntimeException withUris(RuntimeException e) {
    String message = String.valueOf(e.getMessage());
    String renamed = message.replace(localFile.toString(), uri);
    if (sidecarUri != null) {
      renamed = renamed.replace(localSidecar.toString(), sidecarUri);
    }
    renamed = renamed.replace(dir.toString() + "/", "");
    if (renamed.equals(message)) {
      return e;
    }
    if (e instanceof UncheckedIOException io) {
      return new UncheckedIOException(renamed, io.getCause());
    }
    if (e instanceof IllegalArgumentException) {
      return new IllegalArgumentException(renamed, e);
    }
    return new IllegalStateException(renamed, e);
  }

  /** Deletes the local copy. */
  @Override
  public void close() {
    deleteQuietly(dir);
    onStop.close();
  }

  /** The SHA-256 of {@code bytes} in lower-case hex. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("This JVM has no SHA-256", e);
    }
  }

  /** The bytes of {@code file} when it is a file, else null. */
  private static byte[] readIfFile(FileSystem fs, Path file) {
    try {
      if (fs.getFileStatus(file).isFile()) {
        return readAll(fs, file, "model sidecar " + file);
      }
      return null;
    } catch (FileNotFoundException e) {
      return null; // no sidecar: the spec comes from the options or the data
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read model sidecar " + file + ": " + e + "; check its permissions", e);
    }
  }

  private static byte[] readAll(FileSystem fs, Path path, String what) {
    try (InputStream in = fs.open(path)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read " + what + ": " + e + "; check the URI, credentials and permissions", e);
    }
  }

  private static void deleteQuietly(java.nio.file.Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<java.nio.file.Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary folder left behind is harmless; the OS cleans java.io.tmpdir
    }
  }
}
