package org.apache.hadoop.fs;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import org.apache.hadoop.util.Progressable;

/**
 * The local file system with a full disk for files named {@code model.pt}: their writes fail as
 * Hadoop's local file system reports a full disk, with an {@link FSError} (an Error, not an
 * IOException; its constructor is package-private, hence this package). Scheme {@code diskfull}:
 * set {@code fs.diskfull.impl} to this class.
 */
public class DiskFullFileSystem extends RawLocalFileSystem {

  @Override
  public URI getUri() {
    return URI.create("diskfull:///");
  }

  @Override
  public String getScheme() {
    return "diskfull";
  }

  @Override
  public FSDataOutputStream create(
      Path f,
      boolean overwrite,
      int bufferSize,
      short replication,
      long blockSize,
      Progressable progress)
      throws IOException {
    FSDataOutputStream real =
        super.create(f, overwrite, bufferSize, replication, blockSize, progress);
    if (!f.getName().equals("model.pt")) {
      return real;
    }
    OutputStream full =
        new OutputStream() {
          @Override
          public void write(int b) {
            throw new FSError(new IOException("No space left on device"));
          }

          @Override
          public void write(byte[] b, int off, int len) {
            throw new FSError(new IOException("No space left on device"));
          }

          @Override
          public void close() throws IOException {
            real.close();
          }
        };
    return new FSDataOutputStream(full, null);
  }
}
