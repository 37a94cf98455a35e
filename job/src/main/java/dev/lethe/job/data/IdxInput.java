package dev.lethe.job.data;

import dev.lethe.data.IdxReader;
import dev.lethe.data.Sample;
import java.io.ByteArrayInputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * IDX input: the image and label files are read and checked on the driver, then shipped to the
 * executors as one broadcast of their stored bytes, each partition decoding its index range.
 */
final class IdxInput {

  private IdxInput() {}

  static SampleReader.Result read(ReadOptions o, FileSystem fs, Path images, String uri) {
    String labelsUri = o.labels() != null ? o.labels() : derivedLabels(images, uri);
    Path labelsPath = new Path(labelsUri);
    FileSystem labelsFs = o.fileSystem(labelsPath, labelsUri);
    IdxFiles files =
        new IdxFiles(
            DataFiles.readAll(fs, images, "IDX image file", uri),
            uri,
            DataFiles.readAll(labelsFs, labelsPath, "IDX label file", labelsUri),
            labelsUri,
            IdxReader.prefixOf(images.getName()));
    // Read everything once on the driver: a corrupt file fails here, before any task runs.
    int count = files.read(0, o.limit()).size();
    if (count == 0) {
      throw new IllegalArgumentException(
          "Cannot use data " + uri + ": it holds no images; give a non-empty data set");
    }
    // Tasks carry index ranges; the (compressed) files go to each executor once as a broadcast,
    // rather than every decoded image inside the tasks.
    JavaSparkContext jsc = o.jsc();
    int target = Math.min(count, o.partitions() > 0 ? o.partitions() : jsc.defaultParallelism());
    List<int[]> ranges = new ArrayList<>(target);
    for (int i = 0; i < target; i++) {
      ranges.add(
          new int[] {(int) ((long) count * i / target), (int) ((long) count * (i + 1) / target)});
    }
    Broadcast<IdxFiles> shipped = jsc.broadcast(files);
    JavaRDD<Sample> rdd =
        jsc.parallelize(ranges, target)
            .flatMap(range -> shipped.value().read(range[0], range[1] - range[0]).iterator());
    return new SampleReader.Result(
        rdd, DataFormat.IDX, count + " IDX images from " + uri + " with labels " + labelsUri);
  }

  /** The bytes of an IDX image file and its label file, as stored (gzipped or raw). */
  private record IdxFiles(
      byte[] images, String imagesUri, byte[] labels, String labelsUri, String prefix)
      implements Serializable {

    List<Sample> read(int offset, int count) {
      return IdxReader.read(
          new ByteArrayInputStream(images),
          imagesUri,
          new ByteArrayInputStream(labels),
          labelsUri,
          prefix,
          offset,
          count);
    }
  }

  private static String derivedLabels(Path images, String uri) {
    String name = images.getName();
    if (!name.contains("images-idx3")) {
      throw new IllegalArgumentException(
          "Cannot find the label file of IDX images "
              + uri
              + ": its name has no 'images-idx3' to derive the label file name from; give --labels");
    }
    return new Path(images.getParent(), name.replace("images-idx3", "labels-idx1")).toString();
  }
}
