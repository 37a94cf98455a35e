package dev.lethe.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Reads MNIST-style IDX files: an image file of unsigned bytes with dimensions (N, H, W) and a
 * label file of unsigned bytes with dimension (N). Each file may be gzipped or raw; gzip is
 * detected from the magic bytes 0x1f 0x8b, never from the file name.
 *
 * <p>Images become {@link Sample}s of shape 1xHxW with values {@code byte / 255f}; sample ids read
 * {@code <prefix>/<index>}, where the index counts from the start of the file.
 *
 * <p>Malformed content (wrong magic number, wrong dimensions, truncated data, image and label
 * counts that differ, corrupt gzip) throws {@link IllegalArgumentException}; a file that cannot be
 * opened throws {@link UncheckedIOException}. Both messages name the file.
 */
public final class IdxReader {

  /** Value of {@code limit} that reads every image after the offset. */
  public static final int NO_LIMIT = Integer.MAX_VALUE;

  private static final int TYPE_UNSIGNED_BYTE = 0x08;

  private IdxReader() {}

  /**
   * Reads all images and labels; the id prefix is derived from the image file name (see {@link
   * #prefixOf(String)}).
   */
  public static List<Sample> read(Path images, Path labels) {
    return read(images, labels, prefixOf(fileName(images)), 0, NO_LIMIT);
  }

  /** Reads at most {@code limit} images and labels from the start; prefix from the file name. */
  public static List<Sample> read(Path images, Path labels, int limit) {
    return read(images, labels, prefixOf(fileName(images)), 0, limit);
  }

  /**
   * Reads images {@code offset .. offset+limit-1} (fewer when the file ends first).
   *
   * @param images IDX image file, unsigned bytes, dimensions (N, H, W), gzipped or raw
   * @param labels IDX label file, unsigned bytes, dimension (N), gzipped or raw
   * @param prefix sample ids read {@code prefix/index}
   * @param offset index of the first image to read, 0 or more
   * @param limit largest number of images to read, 0 or more; {@link #NO_LIMIT} for all
   */
  public static List<Sample> read(Path images, Path labels, String prefix, int offset, int limit) {
    try (InputStream imageStream = open(images);
        InputStream labelStream = open(labels)) {
      return read(
          imageStream, images.toString(), labelStream, labels.toString(), prefix, offset, limit);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot close IDX files " + images + " and " + labels + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads from streams, e.g. ones opened on a Hadoop file system. The streams are not closed.
   *
   * @param imagesName names the image stream in error messages (a path or URI)
   * @param labelsName names the label stream in error messages
   * @see #read(Path, Path, String, int, int)
   */
  public static List<Sample> read(
      InputStream images,
      String imagesName,
      InputStream labels,
      String labelsName,
      String prefix,
      int offset,
      int limit) {
    if (offset < 0 || limit < 0) {
      throw new IllegalArgumentException(
          "Cannot read IDX file "
              + imagesName
              + ": offset "
              + offset
              + " and limit "
              + limit
              + " must not be negative; give 0 or more");
    }
    DataInputStream imageData = new DataInputStream(decompressed(images, imagesName));
    DataInputStream labelData = new DataInputStream(decompressed(labels, labelsName));
    int[] imageDims = readHeader(imageData, imagesName, 3, "images (N, height, width)");
    int[] labelDims = readHeader(labelData, labelsName, 1, "labels (N)");
    int count = imageDims[0];
    if (count != labelDims[0]) {
      throw new IllegalArgumentException(
          "Cannot pair IDX files "
              + imagesName
              + " and "
              + labelsName
              + ": the image file holds "
              + count
              + " images but the label file holds "
              + labelDims[0]
              + " labels; give the label file that belongs to these images");
    }
    ImageShape shape = shapeOf(imageDims, imagesName);
    int first = Math.min(offset, count);
    int last = (int) Math.min((long) first + limit, count);
    skip(imageData, (long) first * shape.size(), imagesName);
    skip(labelData, first, labelsName);
    // Not presized to the header's count: a corrupt count would allocate gigabytes up front.
    List<Sample> samples = new ArrayList<>(Math.min(last - first, 1 << 12));
    byte[] raw = new byte[shape.size()];
    for (int index = first; index < last; index++) {
      readFully(imageData, raw, imagesName, index);
      int label = readLabel(labelData, labelsName, index);
      float[] pixels = new float[raw.length];
      for (int i = 0; i < raw.length; i++) {
        pixels[i] = (raw[i] & 0xff) / 255f;
      }
      samples.add(new Sample(prefix + "/" + index, label, shape, pixels));
    }
    return samples;
  }

  /**
   * The id prefix for an IDX file name: the part before the first '-', e.g. {@code train} for
   * {@code train-images-idx3-ubyte.gz}; the whole name when it has no '-'.
   */
  public static String prefixOf(String fileName) {
    int dash = fileName.indexOf('-');
    return dash > 0 ? fileName.substring(0, dash) : fileName;
  }

  private static String fileName(Path path) {
    Path name = path.getFileName();
    return name == null ? path.toString() : name.toString();
  }

  private static InputStream open(Path path) {
    try {
      return Files.newInputStream(path);
    } catch (NoSuchFileException e) {
      throw new UncheckedIOException(
          "Cannot open IDX file " + path + ": it does not exist; check the path", e);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot open IDX file " + path + ": " + e + "; check the path and its permissions", e);
    }
  }

  private static InputStream decompressed(InputStream in, String name) {
    BufferedInputStream buffered = new BufferedInputStream(in, 1 << 16);
    try {
      buffered.mark(2);
      int b0 = buffered.read();
      int b1 = buffered.read();
      buffered.reset();
      if (b0 == 0x1f && b1 == 0x8b) {
        return new BufferedInputStream(new GZIPInputStream(buffered, 1 << 16), 1 << 16);
      }
      return buffered;
    } catch (IOException e) {
      throw corrupt(name, "its gzip header is unreadable (" + e.getMessage() + ")", e);
    }
  }

  private static int[] readHeader(DataInputStream in, String name, int dims, String expected) {
    try {
      int magic = in.readInt();
      int type = (magic >>> 8) & 0xff;
      int actualDims = magic & 0xff;
      if ((magic >>> 16) != 0) {
        throw new IllegalArgumentException(
            "Cannot read IDX file "
                + name
                + ": magic number 0x"
                + String.format("%08x", magic)
                + " is not an IDX header (expected 0x0000"
                + String.format("%02x%02x", TYPE_UNSIGNED_BYTE, dims)
                + "); give an IDX file, gzipped or raw");
      }
      if (type != TYPE_UNSIGNED_BYTE) {
        throw new IllegalArgumentException(
            "Cannot read IDX file "
                + name
                + ": its data type is 0x"
                + String.format("%02x", type)
                + " but only unsigned bytes (0x08) are supported; give an unsigned-byte IDX file");
      }
      if (actualDims != dims) {
        throw new IllegalArgumentException(
            "Cannot read IDX file "
                + name
                + ": it has "
                + actualDims
                + " dimensions but "
                + expected
                + " need "
                + dims
                + "; check that images and labels are not swapped");
      }
      int[] sizes = new int[dims];
      for (int i = 0; i < dims; i++) {
        sizes[i] = in.readInt();
        if (sizes[i] < 0) {
          throw new IllegalArgumentException(
              "Cannot read IDX file "
                  + name
                  + ": dimension "
                  + i
                  + " has negative size "
                  + sizes[i]
                  + "; the header is corrupt, fetch the file again");
        }
      }
      return sizes;
    } catch (EOFException e) {
      throw corrupt(name, "it ends inside the header", e);
    } catch (IOException e) {
      throw corrupt(name, "its header is unreadable (" + e.getMessage() + ")", e);
    }
  }

  private static ImageShape shapeOf(int[] dims, String name) {
    if (dims[1] == 0 || dims[2] == 0) {
      throw new IllegalArgumentException(
          "Cannot read IDX file "
              + name
              + ": its images are "
              + dims[1]
              + "x"
              + dims[2]
              + " pixels; give a file with non-empty images");
    }
    if ((long) dims[1] * dims[2] > ImageShape.MAX_PIXELS) {
      throw corrupt(
          name,
          "its header declares "
              + dims[1]
              + "x"
              + dims[2]
              + " pixels per image, more than the "
              + ImageShape.MAX_PIXELS
              + " (4096x4096) Lethe reads",
          null);
    }
    return new ImageShape(1, dims[1], dims[2]);
  }

  private static void skip(DataInputStream in, long bytes, String name) {
    try {
      long left = bytes;
      while (left > 0) {
        long skipped = in.skip(left);
        if (skipped <= 0) {
          if (in.read() < 0) {
            throw corrupt(name, "it ends before the requested offset", null);
          }
          skipped = 1;
        }
        left -= skipped;
      }
    } catch (IOException e) {
      throw corrupt(name, "it cannot be read up to the offset (" + e.getMessage() + ")", e);
    }
  }

  private static void readFully(DataInputStream in, byte[] buffer, String name, int index) {
    try {
      in.readFully(buffer);
    } catch (EOFException e) {
      throw corrupt(name, "it is truncated: image " + index + " is incomplete", e);
    } catch (IOException e) {
      throw corrupt(name, "image " + index + " is unreadable (" + e.getMessage() + ")", e);
    }
  }

  private static int readLabel(DataInputStream in, String name, int index) {
    try {
      return in.readUnsignedByte();
    } catch (EOFException e) {
      throw corrupt(name, "it is truncated: label " + index + " is missing", e);
    } catch (IOException e) {
      throw corrupt(name, "label " + index + " is unreadable (" + e.getMessage() + ")", e);
    }
  }

  private static IllegalArgumentException corrupt(String name, String reason, Exception cause) {
    return new IllegalArgumentException(
        "Cannot read IDX file " + name + ": " + reason + "; fetch the file again", cause);
  }
}
