package dev.lethe.job.eval;

import dev.lethe.data.Sample;
import dev.lethe.job.model.ExecutorModel;
import dev.lethe.model.Classifier;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;

/**
 * Counts correct predictions of a model over an RDD of samples: each partition is predicted in
 * batches by its executor's shared classifier (see {@link ExecutorModel}); the driver adds up the
 * per-partition counts. The result does not depend on the partitioning.
 */
public final class DistributedAccuracy {

  private DistributedAccuracy() {}

  /** Counts over all partitions, and the devices the executors computed on. */
  public record Result(long samples, long correct, Set<String> devices) implements Serializable {

    public Result {
      devices = Set.copyOf(devices);
    }

    /** Fraction of samples predicted right; NaN for no samples. */
    public double accuracy() {
      return samples == 0 ? Double.NaN : correct / (double) samples;
    }
  }

  /**
   * Evaluates {@code model} on {@code samples}.
   *
   * @param batchSize images per forward pass
   * @throws org.apache.spark.SparkException (unchecked in Java) when a task fails, e.g. for a
   *     sample whose shape or label does not fit the model; its cause names the sample
   */
  public static Result evaluate(JavaRDD<Sample> samples, ExecutorModel model, int batchSize) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException(
          "Cannot evaluate with batch size " + batchSize + ": give 1 or more");
    }
    List<Result> parts = samples.mapPartitions(new CountCorrect(model, batchSize)).collect();
    long n = 0;
    long correct = 0;
    Set<String> devices = new TreeSet<>();
    for (Result part : parts) {
      n += part.samples();
      correct += part.correct();
      devices.addAll(part.devices());
    }
    return new Result(n, correct, devices);
  }

  /** Predicts one partition in batches and counts the correct predictions. */
  private static final class CountCorrect implements FlatMapFunction<Iterator<Sample>, Result> {

    private static final long serialVersionUID = 1L;

    private final ExecutorModel model;
    private final int batchSize;

    CountCorrect(ExecutorModel model, int batchSize) {
      this.model = model;
      this.batchSize = batchSize;
    }

    @Override
    public Iterator<Result> call(Iterator<Sample> samples) {
      if (!samples.hasNext()) {
        return List.<Result>of().iterator();
      }
      Classifier classifier = model.sharedForInference();
      int classes = classifier.spec().numClasses();
      List<Sample> batch = new ArrayList<>(batchSize);
      long n = 0;
      long correct = 0;
      while (samples.hasNext()) {
        Sample sample = samples.next();
        if (sample.label() < 0 || sample.label() >= classes) {
          throw new IllegalArgumentException(
              "Cannot evaluate sample "
                  + sample.id()
                  + ": its label "
                  + sample.label()
                  + " is not a class of model "
                  + model.name()
                  + " (0.."
                  + (classes - 1)
                  + "); check the labels or the class names");
        }
        batch.add(sample);
        if (batch.size() == batchSize) {
          correct += countCorrect(classifier, batch);
          n += batch.size();
          batch.clear();
        }
      }
      if (!batch.isEmpty()) {
        correct += countCorrect(classifier, batch);
        n += batch.size();
      }
      return List.of(new Result(n, correct, Set.of(classifier.device().toString()))).iterator();
    }

    private int countCorrect(Classifier classifier, List<Sample> batch) {
      int[] predicted = classifier.predict(batch, batch.size());
      int correct = 0;
      for (int i = 0; i < predicted.length; i++) {
        if (predicted[i] == batch.get(i).label()) {
          correct++;
        }
      }
      return correct;
    }
  }
}
