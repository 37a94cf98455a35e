package dev.lethe.job.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** The data readers' file system calls, each failure naming the input and what to check. */
final class DataFiles {

  private DataFiles() {}

  /** The status of an input; naming it when it does not exist or cannot be read. */
  static FileStatus status(FileSystem fs, Path path, String what, String uri) {
    try {
      return fs.getFileStatus(path);
    } catch (IOException e) {
      throw unreadable(e, what, uri);
    }
  }

  /** The entries of a data folder. */
  static FileStatus[] list(FileSystem fs, Path path, String uri) {
    try {
      return fs.listStatus(path);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot list data folder " + path + ": " + e + "; check its permissions", e);
    }
  }

  /** The bytes of an input file. */
  static byte[] readAll(FileSystem fs, Path path, String what, String uri) {
    try (InputStream in = fs.open(path)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw unreadable(e, what, uri);
    }
  }

  /** A missing input is a bad argument; any other read failure an I/O error. */
  private static RuntimeException unreadable(IOException e, String what, String uri) {
    if (e instanceof FileNotFoundException) {
      return new IllegalArgumentException(
          "Cannot read " + what + " " + uri + ": it does not exist; check the path", e);
    }
    return new UncheckedIOException(
        "Cannot read " + what + " " + uri + ": " + e + "; check the path and its permissions", e);
  }
}
