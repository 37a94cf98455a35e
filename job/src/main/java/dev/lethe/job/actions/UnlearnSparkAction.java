package dev.lethe.job.actions;

import dev.lethe.data.ImageShape;
import dev.lethe.data.Resize;
import dev.lethe.job.conf.LetheConf;
import dev.lethe.job.unlearn.UnlearnDryRun;
import dev.lethe.job.unlearn.UnlearnReport;
import dev.lethe.job.unlearn.UnlearnRequest;
import dev.lethe.job.unlearn.UnlearnRun;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.Method;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark implementation of {@link UnlearnAction}: builds the request, runs {@link UnlearnRun}.
 */
final class UnlearnSparkAction implements UnlearnAction {

  private final SparkSession spark;
  private String model;
  private String forget;
  private String output;
  private String test;
  private String heldOut;
  private String retain;
  private String labels;
  private List<String> classNames = List.of();
  private Resize resize;
  private ImageShape inputShape;
  private Method method = Method.L2UL;
  private Goal goal = Goal.MISCLASSIFY;
  private boolean targeted;
  private Integer targetClass;
  private String preset;
  private long seed;
  private String runId;
  private Map<String, String> tuning = Map.of();
  private int partitions;
  private int limit;
  private List<String> forgetIds = List.of();
  private int batchSize = LetheConf.BATCH_SIZE_DEFAULT;
  private int sample;
  private String work;
  private boolean keepWork;
  private boolean recordIds;
  private Integer heldOutFromTest;
  private Integer retainFromForget;
  private List<String> notRetained = List.of();
  private String modelName;
  private List<String> requestIds = List.of();
  private Double maxTestDrop;
  private Double maxRetainDrop;
  private Runnable beforePublish = () -> {};
  private Map<String, Object> measured = new LinkedHashMap<>();

  UnlearnSparkAction(SparkSession spark) {
    this.spark = Objects.requireNonNull(spark, "spark");
  }

  @Override
  public UnlearnAction model(String uri) {
    this.model = Objects.requireNonNull(uri, "model");
    return this;
  }

  @Override
  public UnlearnAction forget(String uri) {
    this.forget = Objects.requireNonNull(uri, "forget");
    return this;
  }

  @Override
  public UnlearnAction forgetIds(List<String> ids) {
    if (ids.stream().anyMatch(id -> id == null || id.isBlank())) {
      throw new IllegalArgumentException(
          "Cannot unlearn forget ids " + ids + ": an id is empty; give non-empty sample ids");
    }
    this.forgetIds = List.copyOf(ids);
    return this;
  }

  @Override
  public UnlearnAction sample(int count) {
    this.sample = positive("sample", count);
    return this;
  }

  @Override
  public UnlearnAction limit(int count) {
    this.limit = positive("limit", count);
    return this;
  }

  @Override
  public UnlearnAction labels(String uri) {
    this.labels = uri;
    return this;
  }

  @Override
  public UnlearnAction classNames(List<String> names) {
    this.classNames = names == null ? List.of() : List.copyOf(names);
    return this;
  }

  @Override
  public UnlearnAction resize(Resize value) {
    this.resize = value;
    return this;
  }

  @Override
  public UnlearnAction inputShape(ImageShape shape) {
    this.inputShape = shape;
    return this;
  }

  @Override
  public UnlearnAction test(String uri) {
    this.test = uri;
    return this;
  }

  @Override
  public UnlearnAction heldOut(String uri) {
    this.heldOut = uri;
    return this;
  }

  @Override
  public UnlearnAction heldOutFromTest(int count) {
    if (count < 0) {
      throw new IllegalArgumentException(
          "Cannot set held-out-from-test to " + count + ": give 0 (none) or more");
    }
    this.heldOutFromTest = count;
    return this;
  }

  @Override
  public UnlearnAction retain(String uri) {
    this.retain = uri;
    return this;
  }

  @Override
  public UnlearnAction retainFromForget(int count) {
    if (count < 0) {
      throw new IllegalArgumentException(
          "Cannot set retain-from-forget to " + count + ": give 0 (none) or more");
    }
    this.retainFromForget = count;
    return this;
  }

  @Override
  public UnlearnAction notRetained(List<String> ids) {
    this.notRetained = List.copyOf(ids);
    return this;
  }

  @Override
  public UnlearnAction method(Method value) {
    this.method = Objects.requireNonNull(value, "method");
    return this;
  }

  @Override
  public UnlearnAction goal(Goal value) {
    this.goal = Objects.requireNonNull(value, "goal");
    return this;
  }

  @Override
  public UnlearnAction targeted() {
    this.targeted = true;
    return this;
  }

  @Override
  public UnlearnAction targetClass(int index) {
    if (index < 0) {
      throw new IllegalArgumentException(
          "Cannot unlearn towards class " + index + ": give a class index of 0 or more");
    }
    this.targetClass = index;
    return this;
  }

  @Override
  public UnlearnAction preset(String name) {
    this.preset = name;
    return this;
  }

  @Override
  public UnlearnAction tuning(Map<String, String> options) {
    this.tuning = new LinkedHashMap<>(options);
    return this;
  }

  @Override
  public UnlearnAction seed(long value) {
    this.seed = value;
    return this;
  }

  @Override
  public UnlearnAction runId(String id) {
    if (id != null && !id.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException(
          "Cannot name a run '" + id + "': give 1 to 64 letters, digits, '.', '_' or '-'");
    }
    this.runId = id;
    return this;
  }

  @Override
  public UnlearnAction modelName(String name) {
    if (name != null && !name.matches("[A-Za-z0-9._-]{1,128}")) {
      throw new IllegalArgumentException(
          "Cannot name a model '" + name + "': give 1 to 128 letters, digits, '.', '_' or '-'");
    }
    this.modelName = name;
    return this;
  }

  @Override
  public UnlearnAction requestIds(List<String> ids) {
    this.requestIds = List.copyOf(ids);
    return this;
  }

  @Override
  public UnlearnAction beforePublish(Runnable check) {
    this.beforePublish = Objects.requireNonNull(check, "check");
    return this;
  }

  @Override
  public UnlearnAction maxTestDrop(double points) {
    this.maxTestDrop = gatePoints("test", points);
    return this;
  }

  @Override
  public UnlearnAction maxRetainDrop(double points) {
    this.maxRetainDrop = gatePoints("retain", points);
    return this;
  }

  private static double gatePoints(String data, double points) {
    if (!(points >= 0) || Double.isInfinite(points)) {
      throw new IllegalArgumentException(
          "Cannot gate on a " + data + " drop of " + points + " points: give 0 or more");
    }
    return points;
  }

  @Override
  public UnlearnAction output(String uri) {
    this.output = Objects.requireNonNull(uri, "output");
    return this;
  }

  @Override
  public UnlearnAction work(String uri) {
    this.work = uri;
    return this;
  }

  @Override
  public UnlearnAction keepWork(boolean keep) {
    this.keepWork = keep;
    return this;
  }

  @Override
  public UnlearnAction recordIds(boolean record) {
    this.recordIds = record;
    return this;
  }

  @Override
  public UnlearnAction partitions(int count) {
    this.partitions = positive("partitions", count);
    return this;
  }

  @Override
  public UnlearnAction batchSize(int size) {
    this.batchSize = positive("batch size", size);
    return this;
  }

  @Override
  public UnlearnAction measuredInto(Map<String, Object> sink) {
    this.measured = Objects.requireNonNull(sink, "sink");
    return this;
  }

  @Override
  public Map<String, Object> plan() {
    return new UnlearnDryRun(spark, request()).plan();
  }

  @Override
  public Result execute() {
    UnlearnRequest request = request();
    UnlearnRun run = new UnlearnRun(spark, request, beforePublish, measured);
    Optional<UnlearnReport> existing = run.alreadyPublished();
    if (existing.isPresent()) {
      return new Result(Status.PUBLISHED, null, existing.get(), true);
    }
    UnlearnReport report = run.execute();
    if (report.succeeded()) {
      return new Result(Status.PUBLISHED, null, report, false);
    }
    String error = report.measured().error();
    if (UnlearnRun.isGateError(error)) {
      String limits =
          Stream.of("max-test-drop", "max-retain-drop")
              .filter(error::contains)
              .collect(Collectors.joining(" or "));
      String advice =
          error.contains(UnlearnRun.HALVED)
              ? "lower learning-rate with --set or pass a held-out sample; --max-test-drop 100"
                  + " publishes such a model anyway"
                  + (limits.isEmpty() ? "" : "; raise " + limits)
              : "raise " + limits + ", or lower learning-rate with --set";
      return new Result(
          Status.GATE_BROKEN,
          "Cannot publish an unlearned model: "
              + error
              + "; nothing was published ("
              + advice
              + ")",
          report,
          false);
    }
    return new Result(
        Status.GOAL_NOT_REACHED,
        "Cannot publish an unlearned model: "
            + report.measured().error()
            + "; nothing was published",
        report,
        false);
  }

  /** The request the setters gave, checked. */
  private UnlearnRequest request() {
    required("model", model);
    required("forget", forget);
    required("output", output);
    exclusive("sample", sample > 0, "forget ids", !forgetIds.isEmpty());
    boolean drawsFromTest = heldOutFromTest != null && heldOutFromTest > 0;
    exclusive("held-out data", heldOut != null, "held-out-from-test", drawsFromTest);
    exclusive("targeted", targeted, "target class", targetClass != null);
    boolean drawsFromForget = retainFromForget != null && retainFromForget > 0;
    exclusive("retain data", retain != null, "retain-from-forget", drawsFromForget);
    if (maxTestDrop != null && test == null) {
      throw new IllegalStateException(
          "Cannot unlearn: max-test-drop measures the test data but none was given;"
              + " set the test data");
    }
    if (maxRetainDrop != null && retain == null && !drawsFromForget) {
      throw new IllegalStateException(
          "Cannot unlearn: max-retain-drop measures the retain data but none was given;"
              + " set the retain data or retain-from-forget");
    }
    if (drawsFromTest && test == null) {
      throw new IllegalStateException(
          "Cannot unlearn: held-out-from-test draws from the test data but none was given;"
              + " set the test data");
    }
    return new UnlearnRequest(
        qualified(model),
        qualified(forget),
        qualified(output),
        qualified(test),
        qualified(heldOut),
        qualified(retain),
        qualified(labels),
        classNames,
        resize,
        inputShape,
        method,
        goal,
        targeted,
        targetClass,
        preset,
        seed,
        runId,
        tuning,
        partitions,
        limit,
        forgetIds,
        batchSize,
        sample,
        qualified(work),
        keepWork,
        recordIds,
        heldOutFromTest,
        retainFromForget,
        notRetained,
        modelName,
        requestIds,
        maxTestDrop,
        maxRetainDrop);
  }

  /**
   * A relative path made absolute on its file system (Hadoop's default one, so a cluster whose
   * default is HDFS resolves it there): the manifest and current.json keep every URI, and a
   * relative one would name another file for a job started from another folder. URIs with a scheme
   * and absolute paths are kept as given.
   */
  private String qualified(String uri) {
    if (uri == null) {
      return null;
    }
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(uri);
    if (path.isAbsolute() || path.toUri().getScheme() != null) {
      return uri;
    }
    try {
      return path.getFileSystem(spark.sparkContext().hadoopConfiguration())
          .makeQualified(path)
          .toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(
          "Cannot resolve " + uri + " to an absolute path (" + e + "); give an absolute URI", e);
    }
  }

  private static void exclusive(String one, boolean oneSet, String other, boolean otherSet) {
    if (oneSet && otherSet) {
      throw new IllegalStateException(
          "Cannot unlearn: " + one + " and " + other + " exclude each other; set one");
    }
  }

  private static void required(String setting, String value) {
    if (value == null) {
      throw new IllegalStateException("Cannot unlearn: no " + setting + " was given; set it");
    }
  }

  private static int positive(String setting, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(
          "Cannot unlearn with " + setting + " " + value + ": give 1 or more");
    }
    return value;
  }
}
