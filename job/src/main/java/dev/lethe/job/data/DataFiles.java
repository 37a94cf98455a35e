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

  static FileStatus status(FileSystem fs, Path path, String what, String uri) {
    try {
      return fs.getFileStatus(path);
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException(
          "Cannot read " + what + " " + uri + ": it does not exist; check the path", e);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read " + what + " " + uri + ": " + e + "; check the path and its permissions", e);
    }
  }

  static FileStatus[] list(FileSystem fs, Path path, String uri) {
    try {
      return fs.listStatus(path);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot list data folder " + path + ": " + e + "; check its permissions", e);
    }
  }

  static byte[] readAll(FileSystem fs, Path path, String what, String uri) {
    try (InputStream in = fs.open(path)) {
      return in.readAllBytes();
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException(
          "Cannot read " + what + " " + uri + ": it does not exist; check the path", e);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read " + what + " " + uri + ": " + e + "; check the path and its permissions", e);
    }
  }
}
