package dev.lethe.job.unlearn;

import dev.lethe.data.Sample;
import java.util.Objects;
import org.apache.spark.api.java.JavaRDD;

/**
 * The test set of a run as the executors read it from storage: never collected to the driver (stage
 * D scores it where it lies), with its size counted on the executors when it was checked.
 *
 * @param samples the test samples in the input's order (less any drawn as held-out)
 * @param size how many there are
 */
public record TestData(JavaRDD<Sample> samples, long size) {

  public TestData {
    Objects.requireNonNull(samples, "samples");
  }
}
