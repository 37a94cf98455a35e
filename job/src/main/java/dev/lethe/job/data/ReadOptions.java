package dev.lethe.job.data;

import dev.lethe.failure.FailureMessage;
import java.io.IOException;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * What a format's reader needs from {@link SampleReader}: the session, the IDX label file (or
 * null), the model's class names, the row limit and the partitions to spread the samples over (0:
 * Spark's parallelism).
 */
record ReadOptions(
    SparkSession spark, String labels, List<String> classNames, int limit, int partitions) {

  <T> JavaRDD<T> spread(JavaRDD<T> rdd) {
    if (partitions > 0) {
      return rdd.getNumPartitions() == partitions ? rdd : rdd.repartition(partitions);
    }
    int parallelism = jsc().defaultParallelism();
    return rdd.getNumPartitions() < parallelism ? rdd.repartition(parallelism) : rdd;
  }

  JavaSparkContext jsc() {
    return JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  FileSystem fileSystem(Path path, String uri) {
    try {
      return path.getFileSystem(spark.sparkContext().hadoopConfiguration());
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "Cannot read data "
              + uri
              + ": no file system for it ("
              + FailureMessage.firstLine(e.getMessage())
              + "); give an s3a://, file:// or hdfs:// URI or a path",
          e);
    }
  }
}
