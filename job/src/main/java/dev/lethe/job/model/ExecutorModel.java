package dev.lethe.job.model;

import ai.djl.pytorch.jni.JniUtils;
import dev.lethe.model.Classifier;
import dev.lethe.model.ModelSpec;
import dev.lethe.model.SpecResolver;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model for executors: the TorchScript bytes travel once per executor as a Spark broadcast, and
 * each executor JVM loads them once into a {@link Classifier} (the pattern of DJL's Spark
 * extension, which is not available here).
 *
 * <p>This holder is serialised into every task; the loaded classifier is not. Per JVM, the bytes
 * are written to one temporary file and the shared classifier is cached by the model's SHA-256 and
 * spec, so every task and every copy of the holder for the same model reuse it, and a run that
 * reads the same model with another spec (another resize, input shape or normalisation) gets its
 * own. Loading is guarded by one lock per JVM.
 *
 * <p>Threads: Spark runs several tasks per JVM at once. The {@link #sharedForInference() shared
 * classifier} is frozen (weights out of autograd) and stays in eval mode, which is safe for
 * concurrent {@link Classifier.Mode#EVAL} forwards; work that changes module state (training, train
 * mode, parameter gradients) must use its own {@link #loadPrivate(boolean) private copy}.
 * libtorch's thread pool is sized by {@link TorchThreads} before the engine first loads.
 */
public final class ExecutorModel implements Serializable {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorModel.class);

  private static final Object LOCK = new Object();
  private static final Map<Key, Classifier> SHARED = new ConcurrentHashMap<>();
  private static final Map<String, Path> FILES = new HashMap<>();
  private static final AtomicInteger LOADS = new AtomicInteger();

  private final String name;
  private final String sha256;
  private final ModelSpec spec;
  private final Broadcast<byte[]> bytes;
  private transient Classifier shared;

  /** What a shared classifier is loaded from: the model's bytes and the spec they are read with. */
  private record Key(String sha256, ModelSpec spec) {}

  private ExecutorModel(String name, String sha256, ModelSpec spec, Broadcast<byte[]> bytes) {
    this.name = name;
    this.sha256 = sha256;
    this.spec = spec;
    this.bytes = bytes;
  }

  /**
   * Broadcasts a model's bytes once for the executors.
   *
   * @param spec the model's resolved spec (the driver resolved it from the sidecar and options;
   *     executors load the bare bytes with it)
   */
  public static ExecutorModel broadcast(
      JavaSparkContext sc, ModelArtifact artifact, ModelSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return new ExecutorModel(
        artifact.fileName(), artifact.sha256(), spec, sc.broadcast(artifact.bytes()));
  }

  /**
   * Broadcasts model bytes that exist only in memory (stage D's unlearned model), named {@code
   * name}.
   */
  public static ExecutorModel broadcast(
      JavaSparkContext sc, String name, byte[] bytes, ModelSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return new ExecutorModel(name, ModelArtifact.sha256(bytes), spec, sc.broadcast(bytes));
  }

  /** The model file's name. */
  public String name() {
    return name;
  }

  /** The SHA-256 of the model file. */
  public String sha256() {
    return sha256;
  }

  /** The model's spec as resolved on the driver. */
  public ModelSpec spec() {
    return spec;
  }

  /**
   * This JVM's shared, frozen, eval-mode classifier for the model, loaded on first use, with
   * autograd turned off on the calling thread (worker threads start with it on). Do not close it,
   * train it or switch it to train mode. Eval-mode forwards and {@link Classifier#inputGradient}
   * (PGD) may run on it from several threads at once: neither touches module state or the weights'
   * gradients.
   */
  public Classifier sharedForInference() {
    Classifier classifier = shared;
    if (classifier == null) {
      Key key = new Key(sha256, spec);
      classifier = SHARED.get(key);
      if (classifier == null) {
        synchronized (LOCK) {
          classifier = SHARED.get(key);
          if (classifier == null) {
            classifier = load(false);
            SHARED.put(key, classifier);
          }
        }
      }
      shared = classifier;
    }
    JniUtils.setGradMode(false);
    return classifier;
  }

  /**
   * A new classifier of this model for the caller alone (for training or gradient work); the caller
   * closes it.
   */
  public Classifier loadPrivate(boolean trainable) {
    synchronized (LOCK) {
      return load(trainable);
    }
  }

  /**
   * Frees the broadcast bytes on the driver and executors once no more tasks need them; classifiers
   * already loaded stay cached for this model's SHA-256.
   */
  public void release() {
    bytes.destroy();
  }

  /** Whether this JVM holds a shared classifier for the model with this SHA-256 (for tests). */
  static boolean cached(String sha256) {
    return SHARED.keySet().stream().anyMatch(k -> k.sha256().equals(sha256));
  }

  /** How many times this JVM has loaded a model through any holder (for tests). */
  static int loads() {
    return LOADS.get();
  }

  private Classifier load(boolean trainable) {
    SparkEnv env = SparkEnv.get();
    TorchThreads.configure(env == null ? new SparkConf() : env.conf());
    Path file = localFile();
    SpecResolver.Partial options = SpecResolver.Partial.of(spec, "the driver's spec of " + name);
    long start = System.nanoTime();
    try {
      Classifier classifier = Classifier.load(file, options, Classifier.defaultDevice(), trainable);
      LOADS.incrementAndGet();
      LOG.info(
          "Loaded model {} ({}) on {} in {} ms",
          name,
          sha256.substring(0, 12),
          classifier.device(),
          (System.nanoTime() - start) / 1_000_000);
      return classifier;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot load model " + name + " on an executor: " + e.getMessage(), e);
    }
  }

  /** The model's bytes as a local file, written once per JVM (again if something removed it). */
  private Path localFile() {
    Path file = FILES.get(sha256);
    if (file != null && Files.isRegularFile(file)) {
      return file;
    }
    try {
      Path dir = Files.createTempDirectory("lethe-executor-model-");
      dir.toFile().deleteOnExit();
      file = dir.resolve(name);
      Path part = dir.resolve(name + ".part");
      Files.write(part, bytes.value());
      Files.move(part, file, StandardCopyOption.ATOMIC_MOVE);
      file.toFile().deleteOnExit();
      FILES.put(sha256, file);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot write model "
              + name
              + " to a temporary file on an executor: "
              + e
              + "; check free space in java.io.tmpdir",
          e);
    }
  }
}
