package dev.lethe.job.unlearn;

import dev.lethe.data.Sample;
import dev.lethe.job.data.SampleReader;
import dev.lethe.job.failure.UsageException;
import dev.lethe.job.model.ModelArtifact;
import dev.lethe.model.Classifier;
import dev.lethe.model.ModelSpec;
import dev.lethe.model.SpecResolver;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and validates a run's inputs on the driver, before any stage: the model loads, every forget
 * row decodes to the model's input shape (the sidecar's, else the forget data's), labels are in
 * range; the forget rows are narrowed by ids or drawn at random on the executors (only they come
 * back to the driver), and the held-out sample is split off the test data when asked.
 */
public final class InputReader {

  /** Where class names given to the run come from, as messages name it. */
  static final String CLASS_NAMES_SOURCE = "option --class-names";

  private static final Logger LOG = LoggerFactory.getLogger(InputReader.class);

  private final SparkSession spark;
  private final UnlearnRequest request;

  public InputReader(SparkSession spark, UnlearnRequest request) {
    this.spark = spark;
    this.request = request;
  }

  /**
   * Reads and checks every input.
   *
   * @throws UsageException when an option does not fit the model or the data
   * @throws IllegalArgumentException naming the input and the sample when an input is unusable
   */
  public UnlearnInputs read(ModelArtifact artifact) {
    SpecResolver.Partial sidecar = artifact.sidecar();
    SpecResolver.Partial given =
        SpecResolver.Partial.empty(CLASS_NAMES_SOURCE)
            .withClassNames(request.classNames().isEmpty() ? null : request.classNames());
    SpecResolver.Partial known = SpecResolver.merge(sidecar, given);
    List<Sample> forget = readForget(known.classNames());
    SpecResolver.Partial options = given;
    SpecResolver.Partial data = null;
    if (known.input() == null) {
      data =
          SpecResolver.Partial.empty("forget data " + request.forget())
              .withInput(forget.get(0).shape());
      options = SpecResolver.merge(options, data);
    }
    ModelSpec spec;
    try (Classifier classifier = artifact.load(options, false)) {
      spec = classifier.spec();
    }
    for (String line : SpecResolver.describe(spec, sidecar, given, data)) {
      LOG.info("Model {}: {}", request.model(), line);
    }
    check(forget, spec, "forget data " + request.forget());
    if (request.targetClass() != null && request.targetClass() >= spec.numClasses()) {
      throw new UsageException(
          "Cannot run unlearn: option --target-class is "
              + request.targetClass()
              + " but model "
              + request.model()
              + " has classes 0.."
              + (spec.numClasses() - 1));
    }
    List<Sample> test = readOptional(request.test(), "test data", spec);
    List<Sample> heldOut = readOptional(request.heldOut(), "held-out data", spec);
    if (request.heldOutFromTest() > 0) {
      if (request.heldOutFromTest() >= test.size()) {
        throw new UsageException(
            "Cannot run unlearn: --held-out-from-test "
                + request.heldOutFromTest()
                + " leaves no test images of the "
                + test.size()
                + " in "
                + request.test()
                + "; give a smaller number");
      }
      RandomDraw.Split split = RandomDraw.split(test, request.heldOutFromTest(), request.seed());
      heldOut = split.drawn();
      test = split.rest();
    }
    List<Sample> retain = readOptional(request.retain(), "retain data", spec);
    return new UnlearnInputs(options, spec, forget, test, heldOut, retain);
  }

  private List<Sample> readForget(List<String> classNames) {
    SampleReader reader =
        new SampleReader(spark).labels(request.labels()).classNames(classNames).partitions(0);
    if (request.limit() > 0) {
      reader.limit(request.limit());
    }
    if (request.sample() > 0) {
      List<Sample> drawn =
          RandomDraw.draw(
              reader.read(request.forget()).samples(), request.sample(), request.seed());
      if (drawn.size() < request.sample()) {
        throw new IllegalArgumentException(
            "Cannot unlearn: option --sample asks for "
                + request.sample()
                + " instances but forget data "
                + request.forget()
                + " holds "
                + drawn.size()
                + "; give --sample "
                + drawn.size()
                + " or less");
      }
      return drawn;
    }
    JavaRDD<Sample> samples = reader.read(request.forget()).samples();
    List<Sample> forget =
        request.forgetIds().isEmpty()
            ? samples.collect()
            : ForgetSelection.select(
                samples, request.forgetIds(), request.forget(), request.limit());
    if (forget.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot unlearn: forget data " + request.forget() + " holds no samples");
    }
    return forget;
  }

  private List<Sample> readOptional(String uri, String what, ModelSpec spec) {
    if (uri == null) {
      return List.of();
    }
    List<Sample> samples =
        new SampleReader(spark).classNames(spec.classNames()).read(uri).samples().collect();
    check(samples, spec, what + " " + uri);
    return samples;
  }

  private static void check(List<Sample> samples, ModelSpec spec, String what) {
    for (Sample s : samples) {
      if (!s.shape().equals(spec.input())) {
        throw new IllegalArgumentException(
            "Cannot unlearn with "
                + what
                + ": sample "
                + s.id()
                + " has shape "
                + s.shape()
                + " but the model takes "
                + spec.input());
      }
      if (s.label() < 0 || s.label() >= spec.numClasses()) {
        throw new IllegalArgumentException(
            "Cannot unlearn with "
                + what
                + ": sample "
                + s.id()
                + " has label "
                + s.label()
                + " outside the model's classes 0.."
                + (spec.numClasses() - 1));
      }
    }
  }
}
