package dev.lethe.job.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * Detects the storage format of a data set: IDX when a label file is given; for a file, Parquet by
 * its {@code PAR1} magic or {@code .parquet} name, IDX by its gzip or IDX magic; for a folder,
 * Parquet when it holds {@code .parquet} part files, an image folder when it holds class folders.
 */
final class FormatDetector {

  private FormatDetector() {}

  static DataFormat detect(FileSystem fs, FileStatus status, String uri, boolean labelsGiven) {
    if (labelsGiven) {
      return DataFormat.IDX;
    }
    if (status.isFile()) {
      if (status.getPath().getName().toLowerCase(Locale.ROOT).endsWith(".parquet")) {
        return DataFormat.PARQUET;
      }
      byte[] head = new byte[4];
      int n = 0;
      try (InputStream in = fs.open(status.getPath())) {
        while (n < head.length) {
          int r = in.read(head, n, head.length - n);
          if (r < 0) {
            break;
          }
          n += r;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(
            "Cannot read data " + uri + ": " + e + "; check the path and its permissions", e);
      }
      if (n == 4 && new String(head, StandardCharsets.US_ASCII).equals("PAR1")) {
        return DataFormat.PARQUET;
      }
      if (n >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
        return DataFormat.IDX;
      }
      if (n == 4 && head[0] == 0 && head[1] == 0 && head[2] == 0x08) {
        return DataFormat.IDX;
      }
      throw new IllegalArgumentException(
          "Cannot detect the format of data "
              + uri
              + ": it is a file but neither Parquet nor IDX (gzipped or raw); give a Parquet or IDX"
              + " file, or the folder of class folders that holds images"
              + " (root/<class>/<image>.png)");
    }
    boolean classFolders = false;
    for (FileStatus child : DataFiles.list(fs, status.getPath(), uri)) {
      String name = child.getPath().getName();
      if (name.startsWith(".") || name.startsWith("_")) {
        continue;
      }
      if (child.isFile() && name.endsWith(".parquet")) {
        return DataFormat.PARQUET;
      }
      classFolders |= child.isDirectory();
    }
    if (classFolders) {
      return DataFormat.FOLDER;
    }
    throw new IllegalArgumentException(
        "Cannot detect the format of data folder "
            + uri
            + ": it holds neither .parquet part files nor class folders (root/<class>/<image>.png);"
            + " give the folder above the class folders, or the right folder");
  }
}
