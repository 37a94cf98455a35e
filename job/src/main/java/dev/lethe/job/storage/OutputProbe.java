package dev.lethe.job.storage;

import dev.lethe.failure.FailureMessage;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, before any work, that a command can write where it will write: each output location's
 * scheme has a Hadoop FileSystem, its credentials are there, the location is not an existing file
 * (or, for a file such as {@code --report}, not a folder), and a small probe object can be created
 * and deleted again: in the location, or, on a file system with real folders, in the deepest folder
 * of its path that exists (where making the location needs to write). A probe leaves nothing behind
 * (a dry run writes nothing): on an object store the folder markers its delete leaves are removed.
 *
 * <p>A location that fails throws {@link UnwritableOutputException} with one line naming the URI,
 * the option and what to change.
 */
public final class OutputProbe {

  /** The name of a probe object starts with this, in the location's folder. */
  public static final String PROBE_PREFIX = ".lethe-probe-";

  private static final Logger LOG = LoggerFactory.getLogger(OutputProbe.class);

  private OutputProbe() {}

  /**
   * An output location of a command: the option that names it, its URI, and whether it names a file
   * (written next to, e.g. {@code --report}) or a folder (written under, e.g. {@code --out}).
   */
  public record Location(String option, String uri, boolean file) {

    /** A folder the command writes under; null when {@code uri} is null (option not given). */
    public static Location folder(String option, String uri) {
      return uri == null ? null : new Location(option, uri, false);
    }

    /** A file the command writes; null when {@code uri} is null (option not given). */
    public static Location file(String option, String uri) {
      return uri == null ? null : new Location(option, uri, true);
    }

    /** The start of a message about this location: "Cannot write to URI (--option): ". */
    String cannot() {
      return (option.equals("--report") ? "Cannot write the report to " : "Cannot write to ")
          + uri
          + " ("
          + option
          + "): ";
    }
  }

  /** A location that cannot be written: its message is one "Cannot write ..." line. */
  public static final class UnwritableOutputException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String option;

    UnwritableOutputException(Location location, String reason, Throwable cause) {
      super(location.cannot() + reason, cause);
      this.option = location.option();
    }

    /** The option naming the location, e.g. {@code --out}. */
    public String option() {
      return option;
    }
  }

  /**
   * Probes each location in order (nulls skipped), with {@code conf}.
   *
   * @throws UnwritableOutputException for the first location that cannot be written
   */
  public static void check(Configuration conf, List<Location> locations)
      throws UnwritableOutputException {
    for (Location location : locations) {
      if (location != null) {
        check(conf, location);
      }
    }
  }

  /**
   * Probes one location.
   *
   * @throws UnwritableOutputException when it cannot be written
   */
  public static void check(Configuration conf, Location location) throws UnwritableOutputException {
    long start = System.nanoTime();
    LOG.info("checking that {} ({}) can be written", location.uri(), location.option());
    Path target;
    URI fsUri;
    try {
      target = new Path(location.uri());
      fsUri = target.toUri();
    } catch (IllegalArgumentException e) {
      throw new UnwritableOutputException(
          location, "it is not a URI (" + firstLine(e) + "); give an s3a:// URI or a path", e);
    }
    FileSystem fs;
    try {
      fs =
          FileSystem.newInstance(
              fsUri.getScheme() == null ? FileSystem.getDefaultUri(conf) : fsUri, conf);
    } catch (IOException | RuntimeException e) {
      throw unwritable(location, conf, null, e);
    }
    try (fs) {
      probe(fs, location);
    } catch (UnwritableOutputException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw unwritable(location, conf, fs, e);
    }
    LOG.info(
        "{} ({}) can be written ({} ms)",
        location.uri(),
        location.option(),
        (System.nanoTime() - start) / 1_000_000);
  }

  private static void probe(FileSystem fs, Location location) throws IOException {
    fs.setWriteChecksum(false);
    Path target = fs.makeQualified(new Path(location.uri()));
    Path folder = target;
    FileStatus status = status(fs, target);
    if (location.file()) {
      if (status != null && status.isDirectory()) {
        throw new UnwritableOutputException(
            location, "it is a folder; give the URI of a file", null);
      }
      folder = target.getParent();
      if (folder == null) {
        throw new UnwritableOutputException(
            location, "it names no file; give the URI of a file", null);
      }
      status = status(fs, folder);
    } else if (status != null && status.isFile()) {
      throw new UnwritableOutputException(
          location, "it is a file, not a folder; give a new or existing folder", null);
    }
    // The folders missing, deepest first: on an object store the probe makes them (as markers) and
    // removes them again; elsewhere it writes in the deepest folder there is, and makes none.
    List<Path> made = new ArrayList<>();
    Path existing = folder;
    while (status == null && existing.getParent() != null) {
      made.add(existing);
      existing = existing.getParent();
      status = status(fs, existing);
    }
    if (status != null && status.isFile()) {
      throw new UnwritableOutputException(
          location,
          displayed(existing, location)
              + " is a file, not a folder; give a location under a folder",
          null);
    }
    boolean objectStore = isObjectStore(fs);
    if (!objectStore) {
      made.clear();
    }
    // On a file system with folders, writing in the deepest existing one is what making the
    // location needs, and a probe there never shows up in a folder another run is creating (two
    // sweeps making one new ledger). On an object store, permissions go by key prefix: the probe
    // goes under the location itself.
    Path probe = new Path(objectStore ? folder : existing, PROBE_PREFIX + UUID.randomUUID());
    try {
      try (OutputStream out = fs.create(probe, false)) {
        out.write('\n');
      }
      try {
        if (!fs.delete(probe, false) && fs.exists(probe)) {
          throw new IOException("delete returned false");
        }
      } catch (IOException e) {
        throw new UnwritableOutputException(
            location,
            "wrote the probe object "
                + probe
                + " but could not delete it ("
                + firstLine(e)
                + "); give a location where files can also be deleted, and remove "
                + probe,
            e);
      }
    } finally {
      for (Path dir : made) {
        removeIfEmpty(fs, dir);
      }
    }
  }

  /** Whether folders in {@code fs} are key prefixes rather than real folders (s3a://, gs://). */
  private static boolean isObjectStore(FileSystem fs) {
    String scheme = String.valueOf(fs.getUri().getScheme()).toLowerCase(Locale.ROOT);
    return scheme.startsWith("s3") || scheme.equals("gs") || scheme.equals("oss");
  }

  /** {@code path} as the user wrote it when it is a prefix of their URI, else qualified. */
  private static String displayed(Path path, Location location) {
    String plain = Path.getPathWithoutSchemeAndAuthority(path).toString();
    return location.uri().startsWith(plain) ? plain : path.toString();
  }

  private static FileStatus status(FileSystem fs, Path path) throws IOException {
    try {
      return fs.getFileStatus(path);
    } catch (FileNotFoundException e) {
      return null;
    }
  }

  private static void removeIfEmpty(FileSystem fs, Path dir) {
    try {
      FileStatus status = status(fs, dir);
      if (status != null && status.isDirectory() && fs.listStatus(dir).length == 0) {
        fs.delete(dir, false);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("could not remove the probe's folder {}", dir, e);
    }
  }

  /** The one-line failure of a location, from what went wrong. */
  private static UnwritableOutputException unwritable(
      Location location, Configuration conf, FileSystem fs, Throwable e) {
    LOG.debug("probe of {} ({}) failed", location.uri(), location.option(), e);
    String scheme = scheme(location, conf);
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof UnsupportedFileSystemException) {
        return new UnwritableOutputException(
            location,
            "no file system for scheme '"
                + scheme
                + "'; give an s3a://, hdfs:// or file:// URI, or a path",
            e);
      }
    }
    Throwable credentials = credentials(e);
    if (credentials != null) {
      return new UnwritableOutputException(
          location,
          "no AWS credentials were found ("
              + firstLine(credentials)
              + "); give them through a credentials provider (fs.s3a.aws.credentials.provider),"
              + " the AWS environment variables, or fs.s3a.access.key and fs.s3a.secret.key",
          e);
    }
    String unreachable = unreachable(e);
    if (unreachable != null) {
      if (scheme.equals("s3a")) {
        return new UnwritableOutputException(
            location,
            "endpoint "
                + endpoint(conf, fs, location)
                + " did not answer ("
                + unreachable
                + ", given up after "
                + (fs != null ? fs.getConf() : conf).getInt("fs.s3a.retry.limit", 7)
                + " retries: fs.s3a.retry.limit); check fs.s3a.endpoint (--conf"
                + " spark.hadoop.fs.s3a.endpoint=URL) and that the store is up",
            e);
      }
      return new UnwritableOutputException(
          location,
          "its server did not answer ("
              + unreachable
              + "); check the host and port in the URI and that the server is up",
          e);
    }
    if (has(e, "UnknownStoreException") || has(e, "NoSuchBucket")) {
      return new UnwritableOutputException(
          location, "its bucket does not exist; create it or give an existing bucket", e);
    }
    if (has(e, "AccessDeniedException")
        || has(e, "AccessControlException")
        || mentions(e, "Permission denied")) {
      return new UnwritableOutputException(
          location,
          "permission denied ("
              + firstLine(e)
              + "); give a location this job may write to (permissions, or credentials that may write there)",
          e);
    }
    return new UnwritableOutputException(
        location, firstLine(e) + "; check the URI and the storage's settings (spark.hadoop.*)", e);
  }

  private static String scheme(Location location, Configuration conf) {
    try {
      String s = new Path(location.uri()).toUri().getScheme();
      return s != null ? s : FileSystem.getDefaultUri(conf).getScheme();
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  /** The endpoint of an s3a location: its bucket's fs.s3a.endpoint, or AWS's. */
  private static String endpoint(Configuration conf, FileSystem fs, Location location) {
    Configuration effective = fs != null ? fs.getConf() : conf;
    String bucket = new Path(location.uri()).toUri().getHost();
    String endpoint = effective.getTrimmed("fs.s3a.bucket." + bucket + ".endpoint", "");
    if (endpoint.isEmpty()) {
      endpoint = effective.getTrimmed("fs.s3a.endpoint", "");
    }
    return endpoint.isEmpty() ? "(AWS S3's, fs.s3a.endpoint is not set)" : endpoint;
  }

  /** Why a connection failed, when it did; null when the failure is not a connection's. */
  private static String unreachable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String name = t.getClass().getSimpleName();
      if (t instanceof java.net.UnknownHostException) {
        return "host not found: " + t.getMessage();
      }
      if (t instanceof java.net.ConnectException || name.equals("HttpHostConnectException")) {
        return "connection refused";
      }
      if (t instanceof java.net.NoRouteToHostException) {
        return "no route to host";
      }
      if (t instanceof java.net.SocketTimeoutException
          || name.equals("ConnectTimeoutException")
          || name.equals("ApiCallAttemptTimeoutException")
          || name.equals("ApiCallTimeoutException")) {
        return "timed out";
      }
    }
    return null;
  }

  /** The deepest failure that says credentials are missing, or null. */
  private static Throwable credentials(Throwable e) {
    Throwable found = null;
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String name = t.getClass().getSimpleName();
      String message = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
      if (name.equals("NoAuthWithAWSException")
          || name.equals("NoAwsCredentialsException")
          || name.equals("CredentialInitializationException")
          || message.contains("unable to load credentials")
          || message.contains("no aws credentials")) {
        found = t;
      }
    }
    return found;
  }

  private static boolean has(Throwable e, String simpleName) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t.getClass().getSimpleName().equals(simpleName)) {
        return true;
      }
    }
    return false;
  }

  private static boolean mentions(Throwable e, String text) {
    String lower = text.toLowerCase(Locale.ROOT);
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t.getMessage() != null && t.getMessage().toLowerCase(Locale.ROOT).contains(lower)) {
        return true;
      }
    }
    return false;
  }

  private static String firstLine(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank()
        ? e.getClass().getSimpleName()
        : FailureMessage.firstLine(message);
  }
}
