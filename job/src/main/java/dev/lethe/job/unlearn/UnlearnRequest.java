package dev.lethe.job.unlearn;

import dev.lethe.data.ImageShape;
import dev.lethe.data.Resize;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.Method;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything one unlearning run was asked to do, as the unlearn action's setters gave it. {@code
 * test}, {@code heldOut}, {@code retain}, {@code labels}, {@code targetClass}, {@code preset},
 * {@code runId} and {@code work} may be null; counts of 0 mean "not given" ({@code partitions}:
 * Spark's parallelism, {@code limit}: all rows, {@code sample}: no draw). {@code heldOutFromTest}
 * is how many test images to draw as the held-out sample: null when not given (then {@link
 * InputReader} draws {@value InputReader#AUTO_HELD_OUT} itself when the run has test data of at
 * least {@value InputReader#AUTO_MIN_TEST} images, no held-out data and settings that hold a
 * held-out sample), 0 for no draw at all. {@code retainFromForget} is how many rows of the forget
 * data that are not forgotten to draw as the retain sample: null when not given (then {@link
 * InputReader} draws {@value InputReader#AUTO_RETAIN} itself when a run without a held-out sample
 * and retain data would hold stand-ins and the forget data has that many other rows), 0 for no draw
 * at all; {@code notRetained} are ids such a draw must not take (a sweep's samples that later runs
 * forget). {@code modelName} (null: the model file's name) names the folder under {@code out};
 * {@code requestIds} are the erasure requests the run serves (empty for a plain unlearn). {@code
 * maxTestDrop} (null: no gate) is the most test accuracy, in percentage points, a run may lose and
 * still publish; {@code maxRetainDrop} (null: no gate) the same for the retain data's accuracy.
 * {@code classNames} (empty: the sidecar's, if any) are the model's class names as given; {@code
 * resize} (null: the sidecar's, if any) the resize its pipeline applies; {@code inputShape} (null:
 * the sidecar's, else the data's) its input shape.
 */
public record UnlearnRequest(
    String model,
    String forget,
    String out,
    String test,
    String heldOut,
    String retain,
    String labels,
    List<String> classNames,
    Resize resize,
    ImageShape inputShape,
    Method method,
    Goal goal,
    boolean targeted,
    Integer targetClass,
    String preset,
    long seed,
    String runId,
    Map<String, String> tuning,
    int partitions,
    int limit,
    List<String> forgetIds,
    int batchSize,
    int sample,
    String work,
    boolean keepWork,
    boolean recordIds,
    Integer heldOutFromTest,
    Integer retainFromForget,
    List<String> notRetained,
    String modelName,
    List<String> requestIds,
    Double maxTestDrop,
    Double maxRetainDrop) {

  public UnlearnRequest {
    tuning = Collections.unmodifiableMap(new LinkedHashMap<>(tuning)); // keeps the given order
    forgetIds = List.copyOf(forgetIds);
    classNames = classNames == null ? List.of() : List.copyOf(classNames);
    requestIds = requestIds == null ? List.of() : List.copyOf(requestIds);
    notRetained = notRetained == null ? List.of() : List.copyOf(notRetained);
  }

  /** The preset's name, {@code lethe} when none was given. */
  public String presetName() {
    return preset == null ? "lethe" : preset;
  }
}
