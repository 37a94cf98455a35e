package dev.lethe.job.data;

import dev.lethe.data.ClassIndex;
import dev.lethe.data.ImageDecoder;
import dev.lethe.data.ImageFolderReader;
import dev.lethe.data.Sample;
import dev.lethe.job.spark.DriverList;
import dev.lethe.job.storage.SerializableHadoopConf;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Image-folder input ({@code root/<class>/**}): the driver lists the files and checks every class
 * folder against a {@link ClassIndex}; executors read and decode the files. (Not {@code
 * binaryFiles}: its PortableDataStream serialises the whole Hadoop configuration once per file,
 * about 20 ms each, so 500 small images took 10 s just to list.)
 */
final class ImageFolderInput {

  private ImageFolderInput() {}

  static SampleReader.Result read(ReadOptions o, FileSystem fs, FileStatus status, String uri) {
    if (!status.isDirectory()) {
      throw new IllegalArgumentException(
          "Cannot read image folder "
              + uri
              + ": it is not a folder; give a folder laid out as root/<class>/<image>.png");
    }
    String root = fs.makeQualified(status.getPath()).toString();
    List<String> files = new ArrayList<>();
    List<String> undecodable = new ArrayList<>();
    // listStatus, not listFiles: the local file system's LocatedFileStatus forks `ls` per file for
    // its permissions (about 5 ms each).
    ArrayDeque<Path> folders = new ArrayDeque<>(List.of(status.getPath()));
    while (!folders.isEmpty()) {
      Path folder = folders.pop();
      boolean top = folder.equals(status.getPath());
      for (FileStatus child : DataFiles.list(fs, folder, uri)) {
        String name = child.getPath().getName();
        if (child.isDirectory() && !(top && name.startsWith("."))) {
          folders.push(child.getPath());
        } else if (child.isFile()) {
          String file = fs.makeQualified(child.getPath()).toString();
          if (relativeId(root, file) != null) {
            files.add(file);
          } else if (ImageFolderReader.isUndecodableImageName(name) && inClassFolder(root, file)) {
            undecodable.add(file.substring(root.length() + 1));
          }
        }
      }
    }
    ImageFolderReader.refuseUndecodable(uri, undecodable);
    if (files.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot read image folder "
              + uri
              + ": it holds no "
              + ImageFolderReader.EXTENSIONS
              + " files in class folders; lay it out as root/<class>/<image>.png");
    }
    files.sort(Comparator.comparing(file -> relativeId(root, file)));
    Set<String> classFolders = new TreeSet<>();
    for (String file : files) {
      classFolders.add(classOf(root, file));
    }
    ClassIndex index = ClassIndex.resolve(uri, classFolders, o.classNames());
    if (files.size() > o.limit()) {
      files = new ArrayList<>(files.subList(0, o.limit()));
    }
    JavaSparkContext jsc = o.jsc();
    int target = o.partitions() > 0 ? o.partitions() : jsc.defaultParallelism();
    Broadcast<SerializableHadoopConf> conf =
        jsc.broadcast(new SerializableHadoopConf(jsc.hadoopConfiguration()));
    // the file names as a broadcast, not inside the tasks (60,000 names made tasks of 1.9 MiB)
    JavaRDD<Sample> samples =
        DriverList.spread(jsc, files, target)
            .rdd()
            .mapPartitions(part -> decodeFiles(root, uri, index, conf.value().get(), part));
    return new SampleReader.Result(
        samples,
        DataFormat.FOLDER,
        files.size() + " images in " + classFolders.size() + " class folders under " + uri);
  }

  /**
   * The partition's images, each decoded when it is asked for: a partition of large photos is never
   * in memory at once, so a resize that follows ({@link SampleReader#resize}) holds one original
   * per task at a time.
   */
  private static Iterator<Sample> decodeFiles(
      String root, String uri, ClassIndex index, Configuration conf, Iterator<String> files) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return files.hasNext();
      }

      @Override
      public Sample next() {
        return decodeFile(root, uri, index, conf, files.next());
      }
    };
  }

  private static Sample decodeFile(
      String root, String uri, ClassIndex index, Configuration conf, String file) {
    String id = relativeId(root, file);
    String className = id.substring(0, id.indexOf('/'));
    Path path = new Path(file);
    byte[] bytes;
    try (InputStream in = path.getFileSystem(conf).open(path)) {
      bytes = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read image file " + file + ": " + e + "; check its permissions", e);
    }
    try {
      return ImageDecoder.decode(id, index.indexOf(className), bytes);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Cannot read image folder " + uri + ": " + e.getMessage(), e);
    }
  }

  /**
   * The id of an image file in an image folder: its path relative to the root with '/' separators,
   * or null for files that are not images in a class folder.
   */
  static String relativeId(String root, String file) {
    if (!inClassFolder(root, file)) {
      return null;
    }
    String id = file.substring(root.length() + 1);
    String name = id.substring(id.lastIndexOf('/') + 1);
    return ImageFolderReader.isImageName(name) ? id : null;
  }

  /** Whether a file lies in a (not hidden) class folder of the image folder at {@code root}. */
  private static boolean inClassFolder(String root, String file) {
    if (!file.startsWith(root + "/")) {
      return false;
    }
    String id = file.substring(root.length() + 1);
    return id.indexOf('/') > 0 && !id.startsWith(".");
  }

  /** The class folder of an image file in an image folder, or null (see {@link #relativeId}). */
  static String classOf(String root, String file) {
    String id = relativeId(root, file);
    return id == null ? null : id.substring(0, id.indexOf('/'));
  }
}
