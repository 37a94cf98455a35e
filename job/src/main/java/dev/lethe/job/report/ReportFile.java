package dev.lethe.job.report;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes a run's report ({@code --report URI}) through Hadoop's FileSystem (s3a://, file://,
 * hdfs:// or a path): to a temporary name next to it first, then renamed, so a reader sees the
 * whole report or none.
 */
public final class ReportFile {

  private ReportFile() {}

  /**
   * Writes {@code json} and a newline to {@code uri}, replacing what was there.
   *
   * @throws IOException when it cannot be written; nothing is left at {@code uri} half written
   */
  public static void write(Configuration conf, String uri, String json) throws IOException {
    Path target = new Path(uri);
    URI fsUri = target.toUri();
    try (FileSystem fs =
        FileSystem.newInstance(
            fsUri.getScheme() == null ? FileSystem.getDefaultUri(conf) : fsUri, conf)) {
      fs.setWriteChecksum(false);
      Path qualified = fs.makeQualified(target);
      Path parent = qualified.getParent();
      if (parent == null) {
        throw new IOException("it names no file");
      }
      Path temporary = new Path(parent, "." + qualified.getName() + ".tmp-" + UUID.randomUUID());
      try {
        try (OutputStream out = fs.create(temporary, true)) {
          out.write((json + "\n").getBytes(StandardCharsets.UTF_8));
        }
        if (!fs.rename(temporary, qualified)) {
          // Hadoop's rename does not replace a file: remove the old report, then rename again.
          if (fs.exists(qualified) && !fs.getFileStatus(qualified).isFile()) {
            throw new IOException("it is a folder");
          }
          fs.delete(qualified, false);
          if (!fs.rename(temporary, qualified)) {
            throw new IOException("cannot rename " + temporary + " to it");
          }
        }
      } finally {
        if (fs.exists(temporary)) {
          fs.delete(temporary, false);
        }
      }
    }
  }
}
