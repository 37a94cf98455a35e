package dev.lethe.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lethe.data.ImageShape;
import dev.lethe.data.Sample;
import dev.lethe.model.Classifier;
import dev.lethe.model.Losses;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * Targeted PGD on the original model θ*, exactly as ALGORITHM.md section 2 describes.
 *
 * <p>For every forget instance x (label y) and j in 0..N_adv-1: a target t uniform over the C-1
 * classes other than y; a start δ0 = U[0,1]^d - x projected onto the ε ball, with x+δ0 clipped to
 * [0,1]; then S steps δ ← δ - α·g/||g||_2 per sample (L-inf: δ ← δ - α·sign(g)) where g is the
 * gradient of the batch-summed cross-entropy towards t, each followed by clipping x+δ to [0,1] and
 * projecting δ onto the ε ball. The example is clip(x+δ, 0, 1), labelled t; it succeeded when the
 * model's eval-mode prediction for it is t.
 *
 * <p>The model runs in eval mode (BatchNorm running statistics) with its weights out of autograd
 * ({@link Classifier#inputGradient}), so the attack leaves the weights and their gradients alone.
 *
 * <p>Reproducibility: the target and start point of example (x, j) are drawn in Java from a
 * SplitMix64 stream seeded with the first 8 bytes (big-endian) of SHA-256 over the UTF-8 bytes of
 * {@code "<seed>|<instance id>|<j>"}. The same seed therefore gives the same examples whatever the
 * batch size, the instance order or the machine (up to floating-point differences of the engine).
 *
 * <p>Not thread-safe when the classifier is trainable (see {@link Classifier}).
 */
public final class PgdAttack {

  /** Below this norm a gradient counts as zero (no division by zero). */
  private static final float TINY_NORM = 1e-12f;

  /**
   * How many times one PGD step's input gradient is computed before a non-finite one is refused.
   */
  static final int GRADIENT_ATTEMPTS = 3;

  private static final int[] PIXEL_AXES = {1, 2, 3};

  private final Classifier model;
  private final PgdSettings settings;
  private BooleanSupplier stopRequested = () -> false;

  /**
   * An attack on {@code model} (θ*), trainable or frozen; its weights are never changed.
   *
   * @param model the classifier to attack
   * @param settings ε, α, S, N_adv, norm and seed
   */
  public PgdAttack(Classifier model, PgdSettings settings) {
    this.model = Objects.requireNonNull(model, "model");
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /** The settings of this attack. */
  public PgdSettings settings() {
    return settings;
  }

  /**
   * Asked before every PGD step: when it answers true (a cancelled Spark task, say) {@link
   * #generate} ends between two steps with a {@link CancellationException} rather than running its
   * batches to the end, never inside libtorch.
   */
  public PgdAttack stopWhen(BooleanSupplier value) {
    this.stopRequested = Objects.requireNonNull(value);
    return this;
  }

  /**
   * Makes {@code perInstance} adversarial examples for each instance, in instance order and then j
   * order. The (instance, j) pairs are attacked in batches of {@code batchSize}.
   *
   * @param instances forget instances in the model's input shape (or one {@link
   *     dev.lethe.model.ModelSpec#conform} makes fit) and labels in [0, C)
   * @param batchSize how many (instance, j) pairs go through the model at once
   * @throws IllegalArgumentException naming the instance when a label or shape does not fit the
   *     model, or when {@code batchSize} is not positive
   */
  public List<AdversarialExample> generate(List<Sample> instances, int batchSize) {
    Objects.requireNonNull(instances, "instances");
    if (batchSize <= 0) {
      throw new IllegalArgumentException(
          "Cannot attack in batches of " + batchSize + ": the batch size must be positive");
    }
    int classes = model.spec().numClasses();
    List<Sample> conformed = new ArrayList<>(instances.size());
    for (Sample s : instances) {
      conformed.add(model.spec().conform(s));
      if (s.label() < 0 || s.label() >= classes) {
        throw new IllegalArgumentException(
            "Cannot attack instance "
                + s.id()
                + ": its label "
                + s.label()
                + " is not a class of model "
                + model.name()
                + " (0.."
                + (classes - 1)
                + "); check the label mapping of the forget set");
      }
    }
    List<Pair> pairs = new ArrayList<>(instances.size() * settings.perInstance());
    for (Sample s : conformed) {
      for (int j = 0; j < settings.perInstance(); j++) {
        pairs.add(new Pair(s, j));
      }
    }
    List<AdversarialExample> out = new ArrayList<>(pairs.size());
    for (int from = 0; from < pairs.size(); from += batchSize) {
      out.addAll(attack(pairs.subList(from, Math.min(pairs.size(), from + batchSize))));
    }
    return out;
  }

  /** The fraction of examples whose attack succeeded (NaN for none). */
  public static double successRate(List<AdversarialExample> examples) {
    if (examples.isEmpty()) {
      return Double.NaN;
    }
    long hits = examples.stream().filter(AdversarialExample::success).count();
    return hits / (double) examples.size();
  }

  private List<AdversarialExample> attack(List<Pair> pairs) {
    ImageShape shape = model.spec().input();
    int classes = model.spec().numClasses();
    int n = pairs.size();
    int d = shape.size();
    float[] images = new float[n * d];
    float[] starts = new float[n * d];
    long[] targets = new long[n];
    for (int i = 0; i < n; i++) {
      Pair p = pairs.get(i);
      SplitMix64 random = SplitMix64.of(settings.seed(), p.instance().id(), p.index());
      int draw = random.nextInt(classes - 1);
      targets[i] = draw >= p.instance().label() ? draw + 1 : draw;
      for (int k = 0; k < d; k++) {
        starts[i * d + k] = random.nextFloat();
      }
      System.arraycopy(p.instance().pixels(), 0, images, i * d, d);
    }
    Shape batchShape = new Shape(n, shape.channels(), shape.height(), shape.width());
    float[] adversarial;
    long[] predicted;
    try (NDManager batch = model.newBatchManager()) {
      NDArray x = batch.create(images, batchShape);
      NDArray target = batch.create(targets);
      NDArray delta;
      try (NDManager step = batch.newSubManager()) {
        NDArray start = step.create(starts, batchShape);
        delta = clipToImage(x, project(start.sub(x)));
        delta.attach(batch);
      }
      for (int s = 0; s < settings.steps(); s++) {
        if (stopRequested.getAsBoolean()) {
          throw new CancellationException("PGD was asked to stop at step " + s);
        }
        // Each step's arrays live in a sub-manager; only the new δ moves out of it.
        try (NDManager step = batch.newSubManager()) {
          NDArray current = x.add(delta);
          current.attach(step);
          NDArray grad = finiteGradient(current, target, s);
          NDArray direction;
          if (settings.norm() == PgdSettings.Norm.L2) {
            direction = grad.div(perSampleNorm(grad).maximum(TINY_NORM));
          } else {
            direction = grad.sign();
          }
          NDArray moved = direction.muli(-settings.stepSize()).addi(current).clip(0f, 1f);
          NDArray next = project(moved.subi(x));
          next.attach(batch);
          delta.close();
          delta = next;
        }
      }
      NDArray result = x.add(delta).clip(0f, 1f);
      adversarial = result.toFloatArray();
      predicted = model.forward(result, Classifier.Mode.EVAL).argMax(1).toLongArray();
    }
    List<AdversarialExample> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Pair p = pairs.get(i);
      float[] px = new float[d];
      System.arraycopy(adversarial, i * d, px, 0, d);
      out.add(
          new AdversarialExample(
              p.instance().id(),
              p.index(),
              p.instance().label(),
              (int) targets[i],
              shape,
              px,
              predicted[i] == targets[i]));
    }
    return out;
  }

  /**
   * The input gradient of the summed cross-entropy toward {@code target} at {@code current}. A
   * gradient with a NaN or infinite value is computed again, up to {@value #GRADIENT_ATTEMPTS}
   * times in all: libtorch 2.7.1's TorchScript executor now and then returns NaN input gradients
   * for some small models (seen on conv-ReLU-pool and depthwise CNNs; the same input gives a finite
   * gradient when computed again), and one NaN step would make every example of the batch NaN, then
   * the fine-tune's loss. A gradient that stays non-finite is the model's own, and is refused.
   *
   * @throws IllegalArgumentException naming the model when every attempt is non-finite
   */
  private NDArray finiteGradient(NDArray current, NDArray target, int step) {
    for (int attempt = 1; ; attempt++) {
      NDArray grad = model.inputGradient(current, logits -> Losses.crossEntropySum(logits, target));
      // The checks' arrays live in the step's manager, closed after the step.
      if (!grad.isNaN().logicalOr(grad.isInfinite()).any().getBoolean()) {
        return grad;
      }
      grad.close();
      if (attempt == GRADIENT_ATTEMPTS) {
        throw new IllegalArgumentException(
            "Cannot make adversarial examples with model "
                + model.name()
                + ": its gradient with respect to the input images is NaN or infinite (PGD step "
                + (step + 1)
                + ", "
                + GRADIENT_ATTEMPTS
                + " attempts) although its logits are finite; Lethe needs a model whose input"
                + " gradient is finite (an operation such as sqrt or pow at 0 has none there:"
                + " add a small epsilon inside it)");
      }
    }
  }

  /** δ with x+δ clipped to [0,1]; the result is in the manager of {@code delta}. */
  private static NDArray clipToImage(NDArray x, NDArray delta) {
    return delta.add(x).clip(0f, 1f).subi(x);
  }

  /** δ projected onto the ε ball of the settings' norm; the result is in δ's manager. */
  private NDArray project(NDArray delta) {
    float eps = settings.epsilon();
    if (settings.norm() == PgdSettings.Norm.LINF) {
      return delta.clip(-eps, eps);
    }
    // δ / max(1, ||δ||/ε): unchanged inside the ball, scaled onto its surface outside it.
    NDArray shrink = perSampleNorm(delta).divi(eps).maximum(1f);
    return delta.div(shrink);
  }

  /** The L2 norm of each image of an NCHW batch, shape (N,1,1,1), in {@code a}'s manager. */
  private static NDArray perSampleNorm(NDArray a) {
    return a.square().sum(PIXEL_AXES, true).sqrt();
  }

  /** One (instance, j) pair to attack. */
  private record Pair(Sample instance, int index) {}

  /**
   * The random stream of one example: SplitMix64 (Steele, Lea and Flood 2014) seeded from SHA-256
   * of (run seed, instance id, j). Written out here so the stream never depends on the JDK.
   */
  private static final class SplitMix64 {
    private long state;

    private SplitMix64(long state) {
      this.state = state;
    }

    static SplitMix64 of(long seed, String id, int index) {
      byte[] key = (seed + "|" + id + "|" + index).getBytes(StandardCharsets.UTF_8);
      try {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(key);
        return new SplitMix64(ByteBuffer.wrap(digest).getLong());
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("Cannot seed the attack: this JVM has no SHA-256", e);
      }
    }

    long nextLong() {
      long z = (state += 0x9E3779B97F4A7C15L);
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      return z ^ (z >>> 31);
    }

    /** Uniform in [0,1) with 24 random bits. */
    float nextFloat() {
      return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform in [0, bound) by multiply-shift over 32 random bits (bias below bound/2^32). */
    int nextInt(int bound) {
      return (int) (((nextLong() >>> 32) * bound) >>> 32);
    }
  }
}
