package dev.lethe.job.unlearn;

import dev.lethe.data.ImageShape;
import dev.lethe.data.Resize;
import dev.lethe.data.Sample;
import dev.lethe.job.data.InputShapes;
import dev.lethe.job.data.SampleReader;
import dev.lethe.job.failure.UsageException;
import dev.lethe.job.model.ModelArtifact;
import dev.lethe.model.Classifier;
import dev.lethe.model.ModelSpec;
import dev.lethe.model.SpecResolver;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.Unlearning;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and validates a run's inputs before any stage: the model loads, every forget row decodes to
 * the model's input shape (the sidecar's, else the forget data's), labels are in range; the forget
 * rows are narrowed by ids or drawn at random on the executors (only they come back to the driver),
 * and the held-out sample is split off the test data when asked, or on the reader's own when the
 * run would otherwise hold stand-ins ({@link #AUTO_HELD_OUT}); without one, the retain sample is
 * drawn from the forget data's other rows when asked, or on the reader's own ({@link
 * #AUTO_RETAIN}). The test data is checked where it lies, on the executors, and stays there.
 */
public final class InputReader {

  /** Where class names given to the run come from, as messages name it. */
  static final String CLASS_NAMES_SOURCE = "option --class-names";

  static final String RESIZE_SOURCE = "option --resize";

  static final String INPUT_SHAPE_SOURCE = "option --input-shape";

  /**
   * Test images drawn as the held-out sample when a run that holds one was given test data but no
   * held-out sample: on the demo model 1,000 held-out images kept 6-20 points more test accuracy at
   * 64-256 forget instances than the stand-ins a run holds without them (docs/DEFAULTS.md,
   * "Stand-ins"), and 64 were too few at 128.
   */
  public static final int AUTO_HELD_OUT = 1000;

  /** The fewest test images from which {@link #AUTO_HELD_OUT} are drawn: half stay for testing. */
  public static final int AUTO_MIN_TEST = 2 * AUTO_HELD_OUT;

  /**
   * Rows of the forget data that are not forgotten, drawn as the retain sample when a run that
   * would hold stand-ins has no held-out sample and no retain data: held at the original outputs in
   * the held-out sample's place, 1,000 of them kept within a point of 1,000 held-out images on the
   * demo model at 64 forget instances, where the stand-ins lost 11-19 points (docs/DEFAULTS.md,
   * "Without a held-out sample"). A forget data set with fewer other rows lends none.
   */
  public static final int AUTO_RETAIN = 1000;

  /** Mixed into the run's seed for the retain draw, so that it is not the forget draw's order. */
  private static final long RETAIN_SEED = 0x72657461696eL; // "retain"

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
    SpecResolver.Partial resize =
        SpecResolver.Partial.empty(RESIZE_SOURCE).withResize(request.resize());
    SpecResolver.Partial shape =
        SpecResolver.Partial.empty(INPUT_SHAPE_SOURCE).withInput(request.inputShape());
    SpecResolver.Partial known = SpecResolver.merge(sidecar, given, shape, resize);
    ForgetRead read = readForget(known);
    List<Sample> forget = read.forget();
    SpecResolver.Partial options = SpecResolver.merge(given, shape, resize);
    InputShapes.Inferred inferred =
        InputShapes.load(
            artifact,
            options,
            known.input() != null
                ? null
                : InputShapes.implied(forget, known.resize(), "forget data " + request.forget()),
            false);
    SpecResolver.Partial data = inferred.fromData();
    if (data != null) {
      options = SpecResolver.merge(options, data);
    }
    ModelSpec spec;
    boolean probabilities;
    try (Classifier classifier = inferred.classifier()) {
      spec = classifier.spec();
      probabilities = classifier.outputsProbabilities();
      if (classifier.parameters().isEmpty()) {
        throw new IllegalArgumentException(
            "Cannot unlearn with model "
                + request.model()
                + ": it has no parameters to train (torch.jit.freeze turns them into constants);"
                + " save the scripted model before freezing it");
      }
    }
    for (String line : SpecResolver.describe(spec, sidecar, given, shape, resize, data)) {
      LOG.info("Model {}: {}", request.model(), line);
    }
    if (probabilities) {
      LOG.info("Model {}: {}", request.model(), Classifier.PROBABILITIES_NOTE);
    }
    check(forget, spec, "forget data " + request.forget());
    forget = conform(forget, spec, "forget data " + request.forget());
    if (request.targetClass() != null && request.targetClass() >= spec.numClasses()) {
      throw new UsageException(
          "Cannot run unlearn: option --target-class is "
              + request.targetClass()
              + " but model "
              + request.model()
              + " has classes 0.."
              + (spec.numClasses() - 1));
    }
    TestData test = readTest(spec);
    List<Sample> heldOut = readOptional(request.heldOut(), "held-out data", spec);
    int draw = heldOutDraw(test, heldOut, spec);
    if (draw > 0) {
      long size = test.size();
      if (draw >= size) {
        throw new UsageException(
            "Cannot run unlearn: --held-out-from-test "
                + draw
                + " leaves no test images of the "
                + size
                + " in "
                + request.test()
                + "; give a smaller number");
      }
      RandomDraw.RddSplit split = RandomDraw.split(test.samples(), draw, request.seed());
      heldOut = split.drawn();
      test = new TestData(split.rest(), size - heldOut.size());
    }
    if (request.goal() == Goal.UNSEEN && heldOut.size() == 1) {
      throw new UsageException(
          "Cannot run unlearn: goal unseen compares the forget set's losses with a held-out"
              + " sample's, and "
              + (draw > 0 ? "--held-out-from-test 1" : "held-out data " + request.heldOut())
              + " gives one image; give at least 2 (a thousand or so measures far better)");
    }
    if (request.goal() == Goal.UNSEEN && heldOut.isEmpty()) {
      throw new UsageException(
          "Cannot run unlearn: goal unseen needs a held-out sample, and "
              + (test == null
                  ? "no --test data was given"
                  : Integer.valueOf(0).equals(request.heldOutFromTest())
                      ? "--held-out-from-test 0 holds none"
                      : "test data "
                          + request.test()
                          + " has "
                          + test.size()
                          + " images, fewer than the "
                          + AUTO_MIN_TEST
                          + " from which Lethe draws "
                          + AUTO_HELD_OUT
                          + " on its own")
              + "; give --held-out URI or --held-out-from-test N");
    }
    List<Sample> retain = readOptional(request.retain(), "retain data", spec);
    List<Sample> drawnRetain = retainDraw(read, heldOut, spec);
    if (!drawnRetain.isEmpty()) {
      retain = conform(drawnRetain, spec, "retain data drawn from forget data " + request.forget());
    }
    return new UnlearnInputs(
        options, spec, forget, test, heldOut, retain, draw > 0, !drawnRetain.isEmpty());
  }

  /**
   * The retain sample drawn from the forget data's rows that are not forgotten and fit the model:
   * the number asked for ({@code --retain-from-forget N}; fewer rows than that is an error); else,
   * when none was asked for, the run has no held-out sample and no retain data, and its settings
   * would hold stand-ins, {@link #AUTO_RETAIN} of them when there are that many; else none.
   */
  private List<Sample> retainDraw(ForgetRead read, List<Sample> heldOut, ModelSpec spec) {
    Integer asked = request.retainFromForget();
    if (asked != null && asked == 0) {
      return List.of();
    }
    if (asked == null
        && (request.retain() != null
            || !heldOut.isEmpty()
            || read.data() == null
            || !holdsHeldOut(spec))) {
      return List.of();
    }
    int n = asked != null ? asked : AUTO_RETAIN;
    List<Sample> drawn = List.of();
    if (read.data() != null) {
      Set<String> forgotten = new HashSet<>(request.notRetained());
      read.forget().forEach(s -> forgotten.add(s.id()));
      // split, not draw: only the n drawn rows and n keys reach the driver, not n per partition
      drawn =
          RandomDraw.split(
                  read.data().filter(s -> !forgotten.contains(s.id()) && misfit(s, spec) == null),
                  n,
                  request.seed() ^ RETAIN_SEED)
              .drawn();
    }
    if (drawn.size() < n) {
      if (asked != null) {
        throw new UsageException(
            "Cannot run unlearn: --retain-from-forget "
                + n
                + " asks for more rows than forget data "
                + request.forget()
                + " holds besides the "
                + read.forget().size()
                + " forgotten"
                + (request.notRetained().isEmpty()
                    ? ""
                    : " and " + request.notRetained().size() + " left out")
                + " (that fit the model: "
                + drawn.size()
                + "); give --retain-from-forget "
                + drawn.size()
                + " or less, or --retain URI");
      }
      LOG.info(
          "unlearn: no held-out sample and no retain data: forget data {} holds {} rows besides the"
              + " forgotten ones, fewer than the {} Lethe draws on its own, so the fine-tune holds"
              + " stand-ins; give --held-out URI or --retain URI",
          request.forget(),
          drawn.size(),
          AUTO_RETAIN);
      return List.of();
    }
    LOG.info(
        "unlearn: {} random rows of forget data {} that are not forgotten are the retain sample"
            + " (seeded by --seed, as --retain-from-forget would draw them){}",
        n,
        request.forget(),
        asked != null
            ? ""
            : ": the run has no held-out sample, so the fine-tune holds their outputs at the"
                + " original model's in its place; --retain-from-forget 0 holds stand-ins instead");
    return drawn;
  }

  /**
   * Whether the run's settings put a held-out sample to use when it has one ({@link
   * Unlearning#usesHeldOut}); without one they would hold stand-ins.
   */
  private boolean holdsHeldOut(ModelSpec spec) {
    return RunSettings.resolve(
            request.preset(), request.goal(), request.method(), request.tuning(), spec.input())
        .candidates()
        .stream()
        .anyMatch(
            s ->
                Unlearning.usesHeldOut(
                    request.method(), request.goal(), s, request.retain() != null));
  }

  /**
   * How many test images to draw as the held-out sample: the number asked for; else, when none was
   * asked for and no held-out data given, {@link #AUTO_HELD_OUT} if the test data has at least
   * {@link #AUTO_MIN_TEST} and the run puts a held-out sample to use ({@link
   * Unlearning#usesHeldOut}: without one it would hold stand-ins); else none.
   */
  private int heldOutDraw(TestData test, List<Sample> heldOut, ModelSpec spec) {
    if (request.heldOutFromTest() != null) {
      return request.heldOutFromTest();
    }
    if (!heldOut.isEmpty() || test == null || test.size() < AUTO_MIN_TEST) {
      return 0;
    }
    if (!holdsHeldOut(spec)) {
      return 0;
    }
    LOG.info(
        "unlearn: no held-out sample was given: {} random test images of the {} in {} are the"
            + " held-out sample (seeded by --seed, as --held-out-from-test would draw them),"
            + " test accuracy is measured on the other {}; --held-out-from-test 0 holds none",
        AUTO_HELD_OUT,
        test.size(),
        request.test(),
        test.size() - AUTO_HELD_OUT);
    return AUTO_HELD_OUT;
  }

  /**
   * The forget set, and the forget data it was chosen from when that holds other rows too (null
   * when every row read is forgotten).
   */
  private record ForgetRead(List<Sample> forget, JavaRDD<Sample> data) {}

  /** The forget set, resized as it is read when {@code known} declares a resize. */
  private ForgetRead readForget(SpecResolver.Partial known) {
    SampleReader reader =
        new SampleReader(spark)
            .labels(request.labels())
            .classNames(known.classNames())
            .resize(known.resize(), known.input())
            .partitions(0);
    if (request.limit() > 0) {
      reader.limit(request.limit());
    }
    JavaRDD<Sample> samples = reader.read(request.forget()).samples();
    if (request.sample() > 0) {
      List<Sample> drawn = RandomDraw.draw(samples, request.sample(), request.seed());
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
      return new ForgetRead(drawn, samples);
    }
    if (request.forgetIds().isEmpty()) {
      List<Sample> forget = samples.collect();
      if (forget.isEmpty()) {
        throw new IllegalArgumentException(
            "Cannot unlearn: forget data " + request.forget() + " holds no samples");
      }
      return new ForgetRead(forget, null);
    }
    return new ForgetRead(
        ForgetSelection.select(samples, request.forgetIds(), request.forget(), request.limit()),
        samples);
  }

  private List<Sample> readOptional(String uri, String what, ModelSpec spec) {
    if (uri == null) {
      return List.of();
    }
    List<Sample> samples = new SampleReader(spark).forModel(spec).read(uri).samples().collect();
    check(samples, spec, what + " " + uri);
    return conform(samples, spec, what + " " + uri);
  }

  /**
   * The test data, left on the executors: one pass there counts the samples and finds the first
   * that does not fit the model (in the input's order, as {@link #check} on a collected list
   * would), and only the count and that sample come back.
   */
  private TestData readTest(ModelSpec spec) {
    String uri = request.test();
    if (uri == null) {
      return null;
    }
    JavaRDD<Sample> samples = new SampleReader(spark).forModel(spec).read(uri).samples();
    List<Probe> probes =
        samples
            .mapPartitions(
                (Iterator<Sample> it) -> {
                  long n = 0;
                  Sample misfit = null;
                  while (it.hasNext()) {
                    Sample s = it.next();
                    n++;
                    if (misfit == null && misfit(s, spec) != null) {
                      misfit = s;
                    }
                  }
                  return List.of(new Probe(n, misfit)).iterator();
                })
            .collect();
    long size = 0;
    for (Probe p : probes) {
      if (p.misfit() != null) {
        check(List.of(p.misfit()), spec, "test data " + uri);
      }
      size += p.count();
    }
    return new TestData(samples, size);
  }

  /**
   * {@code samples} in the model's input shape ({@link ModelSpec#conform}), saying in the log that
   * images were resized (as they were read, {@link SampleReader#resize}, so their own sizes are not
   * known here) and how many had their channels converted, as torchvision's image pipeline would.
   */
  private static List<Sample> conform(List<Sample> samples, ModelSpec spec, String what) {
    ImageShape input = spec.input();
    List<Sample> out = new ArrayList<>(samples.size());
    int converted = 0;
    for (Sample s : samples) {
      Sample c = spec.conform(s);
      if (c.shape().channels() != s.shape().channels()) {
        converted++;
      }
      out.add(c);
    }
    if (spec.resize() != null) {
      LOG.info(
          "{}: images not at {}x{} resized to {} and centre-cropped as they were read, as the"
              + " model's declared pipeline does",
          what,
          input.height(),
          input.width(),
          spec.resize().target());
    }
    if (converted > 0) {
      LOG.info(
          "{}: {} of {} images converted to {} channel{} for the model ({}), as torchvision's"
              + " image pipeline would",
          what,
          converted,
          samples.size(),
          input.channels(),
          input.channels() == 1 ? "" : "s",
          input.channels() == 1 ? "luma of RGB" : "gray repeated as RGB");
    }
    return out;
  }

  /** One partition's sample count and its first sample that does not fit the model, if any. */
  private record Probe(long count, Sample misfit) implements Serializable {}

  /**
   * Why sample {@code s} does not fit the model ("has shape ... but the model takes ...", "has
   * label ... outside the model's classes ..."), or null when it fits: the one statement of the
   * condition, for the executors' probe and for the driver's message.
   */
  private static String misfit(Sample s, ModelSpec spec) {
    if (!spec.accepts(s.shape())) {
      return "has shape "
          + s.shape()
          + " but the model takes "
          + spec.input()
          + "; resize the images to "
          + spec.input().height()
          + "x"
          + spec.input().width()
          + ", "
          + Resize.DECLARE_IT
          + ", or give the model's input shape";
    }
    if (s.label() < 0 || s.label() >= spec.numClasses()) {
      return "has label "
          + s.label()
          + " outside the model's classes 0.."
          + (spec.numClasses() - 1);
    }
    return null;
  }

  private static void check(List<Sample> samples, ModelSpec spec, String what) {
    for (Sample s : samples) {
      String why = misfit(s, spec);
      if (why != null) {
        throw new IllegalArgumentException(
            "Cannot unlearn with " + what + ": sample " + s.id() + " " + why);
      }
    }
  }
}
