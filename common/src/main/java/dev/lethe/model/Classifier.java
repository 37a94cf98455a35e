package dev.lethe.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.Pair;
import dev.lethe.data.ImageShape;
import dev.lethe.data.Sample;
import dev.lethe.failure.FailureMessage;
import dev.lethe.failure.SettingException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A TorchScript image classifier loaded through DJL's PyTorch engine, with its {@link ModelSpec}.
 *
 * <p>Inputs are NCHW float images in [0,1]; the spec's mean/std normalisation is applied inside
 * {@link #forward} so gradients are taken in pixel space. Weights are loaded trainable ({@code
 * trainParam}), so they can be fine-tuned and differentiated; a classifier loaded with {@code
 * trainable = false} keeps them out of autograd, which is what attack workers want.
 *
 * <p>A model whose forward ends in a softmax (each row non-negative, summing to 1) is read through
 * the logarithm of its output: {@code log p} are logits of the same softmax, so the losses,
 * gradients and predictions Lethe computes are those of the model's logits, while the file, and so
 * the published model, still returns probabilities.
 *
 * <p>Native memory: the model's tensors live in this classifier's manager until {@link #close()}.
 * Every array a method returns is attached to the manager of the input array the caller passed, so
 * callers scope work with {@code try (NDManager batch = classifier.newBatchManager())}. One thread
 * at a time may use a trainable classifier (train/eval mode and gradients are module state); frozen
 * classifiers in eval mode may be shared across threads for {@link #forward} in {@link Mode#EVAL}.
 */
public final class Classifier implements AutoCloseable {

  /**
   * The setting that gives a model's input shape as C,H,W when neither its sidecar nor the data
   * does; {@link SettingException}s about the shape name it.
   */
  public static final String INPUT_SHAPE = "input-shape";

  /** How a forward pass runs. */
  public enum Mode {
    /** Eval mode (BatchNorm running statistics), no autograd: predictions. */
    EVAL,
    /** Eval mode with autograd on: input gradients (PGD) and importance (MAS). */
    EVAL_WITH_GRAD,
    /** Train mode (BatchNorm batch statistics, running statistics updated), autograd on. */
    TRAIN
  }

  private final String name;
  private final Model model;
  private final PtSymbolBlock block;
  private final ModelSpec spec;
  private final NDArray mean;
  private final NDArray std;
  private final LinkedHashMap<String, NDArray> parameters;
  private final boolean trainable;
  private final boolean probabilities;
  private final boolean channelsLast;
  private Boolean trainMode;

  /**
   * The smallest probability whose logarithm a softmax model's output is read as: a probability
   * that underflowed to 0 becomes a logit of about -87 rather than minus infinity.
   */
  private static final float SMALLEST_PROBABILITY = 1e-38f;

  /** How far from 1 a probe row's sum may be for the output to be read as probabilities. */
  private static final float SUM_TOLERANCE = 1e-4f;

  private Classifier(
      String name,
      Model model,
      PtSymbolBlock block,
      ModelSpec spec,
      boolean trainable,
      boolean probabilities,
      boolean channelsLast) {
    this.name = name;
    this.model = model;
    this.block = block;
    this.spec = spec;
    this.trainable = trainable;
    this.probabilities = probabilities;
    this.channelsLast = channelsLast;
    NDManager m = model.getNDManager();
    if (spec.normalises()) {
      int c = spec.input().channels();
      this.mean = m.create(spec.mean(), new Shape(1, c, 1, 1));
      this.std = m.create(spec.std(), new Shape(1, c, 1, 1));
    } else {
      this.mean = null;
      this.std = null;
    }
    LinkedHashMap<String, NDArray> params = new LinkedHashMap<>();
    for (Pair<String, Parameter> p : block.getParameters()) {
      NDArray array = p.getValue().getArray();
      if (JniUtils.requiresGrad((PtNDArray) array)) {
        params.put(p.getKey(), array);
      }
    }
    if (!trainable) {
      for (NDArray p : params.values()) {
        p.setRequiresGradient(false);
      }
    }
    this.parameters = params;
  }

  /** The device Lethe computes on by default: DJL's first GPU when it sees one, else the CPU. */
  public static Device defaultDevice() {
    return Engine.getEngine("PyTorch").defaultDevice();
  }

  /**
   * Loads a TorchScript classifier with trainable weights on the default device; the spec comes
   * from the sidecar next to the file (if any), then {@code options}, then a probe forward.
   */
  public static Classifier load(Path file, SpecResolver.Partial options) throws IOException {
    return load(file, options, defaultDevice(), true);
  }

  /**
   * Loads a TorchScript classifier.
   *
   * @param file a TorchScript .pt file (torch.jit.save)
   * @param options what the user said about the model; merged after the sidecar (a conflict is an
   *     error); must yield the input shape, or the sidecar must
   * @param device where the model's tensors live
   * @param trainable false to keep the weights out of autograd (attack workers)
   * @throws IllegalArgumentException naming the file when it is not a usable classifier
   */
  public static Classifier load(
      Path file, SpecResolver.Partial options, Device device, boolean trainable)
      throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          "Cannot load model " + file + ": no such file; give the path of a TorchScript .pt file");
    }
    SpecResolver.Partial partial = SpecResolver.merge(SpecResolver.readSidecarOf(file), options);
    if (partial.input() == null) {
      throw new SettingException(
          INPUT_SHAPE,
          "Cannot load model "
              + file
              + ": its input shape is unknown; write a sidecar "
              + SpecResolver.sidecarPath(file).getFileName()
              + " with \"input\": {\"channels\", \"height\", \"width\"}, or give the input shape"
              + " as C,H,W "
              + SettingException.named(INPUT_SHAPE)
              + ", or give data to infer it from");
    }
    String name = file.getFileName().toString();
    Model model = Model.newInstance(name, device, "PyTorch");
    try {
      model.load(file, null, Map.of("trainParam", "true"));
    } catch (MalformedModelException | EngineException | IOException e) {
      model.close();
      throw new IllegalArgumentException(
          "Cannot load model "
              + file
              + ": not a TorchScript module that libtorch can read ("
              + FailureMessage.firstLine(e)
              + "); save it with torch.jit.save(torch.jit.script(model), path)",
          e);
    }
    PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
    Probe probe;
    try {
      probe = probe(file, block, model.getNDManager(), partial);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
    int outputs = probe.outputs();
    ModelSpec spec;
    try {
      spec = partial.toSpec(outputs);
    } catch (IllegalArgumentException e) {
      model.close();
      throw new IllegalArgumentException("Cannot load model " + file + ": " + e.getMessage(), e);
    }
    if (spec.numClasses() != outputs) {
      model.close();
      throw new IllegalArgumentException(
          "Cannot load model "
              + file
              + ": it outputs "
              + outputs
              + " values per image but "
              + spec.numClasses()
              + " classes were declared; correct the sidecar or the class names");
    }
    return new Classifier(
        name, model, block, spec, trainable, probe.probabilities(), probe.channelsLast());
  }

  /**
   * What the probe forward found: the number of outputs, whether they are probabilities, and
   * whether the model gives the same logits for images held channels-last.
   */
  private record Probe(int outputs, boolean probabilities, boolean channelsLast) {}

  /**
   * Runs one forward on two blank images to check the input shape and count the outputs: the model
   * must return one float32 tensor of finite logits, one row per image (a tuple or dict of tensors,
   * integer or double outputs, NaN would each fail or mislead later, on the executors). Rows that
   * are non-negative and sum to 1 are a softmax's probabilities.
   */
  private static Probe probe(
      Path file, PtSymbolBlock block, NDManager manager, SpecResolver.Partial partial) {
    ImageShape in = partial.input();
    try (NDManager m = manager.newSubManager()) {
      NDArray x = m.zeros(new Shape(2, in.channels(), in.height(), in.width()));
      JniUtils.enableInferenceMode(block);
      NDList out;
      try {
        out = IValueUtils.forward(block, new NDList(x), false);
      } catch (UnsupportedOperationException e) {
        // DJL reads tensors, lists, tuples and dicts of tensors, and strings; anything else (a
        // None, a number) in the output ends here.
        throw new IllegalArgumentException(
            "Cannot use model "
                + file
                + ": its forward returns something besides tensors (e.g. a tuple holding None, as"
                + " torchvision's GoogLeNet and Inception v3 do once scripted: (logits, None) in"
                + " eval mode), not one tensor of logits; script a wrapper whose forward returns"
                + " the logits only (return self.model(x)[0])",
            e);
      }
      if (out.size() != 1) {
        throw new IllegalArgumentException(
            "Cannot use model "
                + file
                + ": its forward returns "
                + out.size()
                + " tensors (a tuple, list or dict), not one tensor of logits; script a wrapper"
                + " whose forward returns the logits only");
      }
      NDArray logits = out.get(0);
      Shape s = logits.getShape();
      if (s.dimension() != 2 || s.get(0) != 2) {
        throw new IllegalArgumentException(
            "Cannot use model "
                + file
                + ": for a batch of 2 images of shape "
                + in
                + " it returns "
                + s
                + ", not (2, classes) logits; Lethe needs a classifier that returns one row of"
                + " logits per image");
      }
      if (s.get(1) == 1) {
        throw new IllegalArgumentException(
            "Cannot use model "
                + file
                + ": it returns one logit per image (a binary classifier read through a sigmoid),"
                + " and one logit cannot be moved to another class; Lethe needs one logit per"
                + " class: script a wrapper that returns torch.cat([torch.zeros_like(z), z], 1)"
                + " for the model's logit z, whose softmax is (1 - sigmoid(z), sigmoid(z)), and"
                + " label the classes 0 and 1");
      }
      DataType type = logits.getDataType();
      if (type != DataType.FLOAT32) {
        throw new IllegalArgumentException(
            "Cannot use model "
                + file
                + ": it returns "
                + type
                + " logits; Lethe needs float32 logits (end the forward with .float(), or keep the"
                + " model in float32)");
      }
      if (logits.isInfinite().logicalOr(logits.isNaN()).any().getBoolean()) {
        throw new IllegalArgumentException(
            "Cannot use model "
                + file
                + ": it returns NaN or infinite logits for blank images of shape "
                + in
                + "; check its weights and its normalisation");
      }
      float[] rows = logits.toFloatArray();
      int classes = Math.toIntExact(s.get(1));
      return new Probe(
          classes, isProbabilities(rows, classes), acceptsChannelsLast(block, m, in, classes));
    } catch (EngineException e) {
      throw new SettingException(
          INPUT_SHAPE,
          "Cannot run model "
              + file
              + " on images of shape "
              + in
              + " (CxHxW), float32, a batch of 2: "
              + FailureMessage.torchCause(e)
              + "; a model must take float32 images in batches of any size, and its input shape"
              + " goes in its sidecar or as C,H,W "
              + SettingException.named(INPUT_SHAPE),
          e);
    }
  }

  /** How far channels-last logits may be from the plain ones, relative to the largest logit. */
  private static final float CHANNELS_LAST_TOLERANCE = 1e-3f;

  /**
   * Whether the model gives the same logits (within {@link #CHANNELS_LAST_TOLERANCE}) for a batch
   * of images held channels-last as for the same batch held plainly. libtorch 2.7.1's convolutions
   * are faster on channels-last inputs, backward most (its plain backward copies the input of some
   * convolutions); a model that reshapes its activations with {@code view} fails on them, and keeps
   * plain inputs. The probe runs in eval mode, as every forward but the train-mode fine-tune's.
   */
  private static boolean acceptsChannelsLast(
      PtSymbolBlock block, NDManager manager, ImageShape in, int classes) {
    try (NDManager m = manager.newSubManager()) {
      long n = 2L * in.size();
      NDArray x = m.arange(0f, n, 1f).divi(n).reshape(2, in.channels(), in.height(), in.width());
      float[] plain = IValueUtils.forward(block, new NDList(x), false).get(0).toFloatArray();
      NDList out = IValueUtils.forward(block, new NDList(channelsLast(x)), false);
      if (out.size() != 1 || out.get(0).getShape().size() != 2L * classes) {
        return false;
      }
      float[] held = out.get(0).toFloatArray();
      float scale = 1f;
      for (float v : plain) {
        scale = Math.max(scale, Math.abs(v));
      }
      for (int i = 0; i < plain.length; i++) {
        if (!(Math.abs(plain[i] - held[i]) <= CHANNELS_LAST_TOLERANCE * scale)) {
          return false;
        }
      }
      return true;
    } catch (EngineException | UnsupportedOperationException e) {
      return false;
    }
  }

  /**
   * The same NCHW images, copied into channels-last memory (N, H, W, C order) and viewed as NCHW;
   * the result and the copy live in the manager of {@code images}.
   */
  static NDArray channelsLast(NDArray images) {
    Shape s = images.getShape();
    try (NDArray nhwc = images.transpose(0, 2, 3, 1);
        NDArray flat = nhwc.reshape(s.get(0), -1);
        NDArray held = flat.reshape(s.get(0), s.get(2), s.get(3), s.get(1))) {
      // the view keeps the copy's storage alive in libtorch after these handles close
      return held.transpose(0, 3, 1, 2);
    }
  }

  /**
   * Whether {@link #forward} and {@link #inputGradient} copy their images channels-last before the
   * model sees them (decided at load, {@link #acceptsChannelsLast}).
   */
  boolean channelsLast() {
    return channelsLast;
  }

  /** Whether every row of {@code values} ({@code classes} wide) is non-negative and sums to 1. */
  private static boolean isProbabilities(float[] values, int classes) {
    for (int row = 0; row < values.length / classes; row++) {
      double sum = 0;
      for (int c = 0; c < classes; c++) {
        float v = values[row * classes + c];
        if (v < 0) {
          return false;
        }
        sum += v;
      }
      if (Math.abs(sum - 1) > SUM_TOLERANCE) {
        return false;
      }
    }
    return true;
  }

  /** What a run logs about a model whose forward ends in a softmax. */
  public static final String PROBABILITIES_NOTE =
      "returns probabilities (rows of non-negative outputs summing to 1, a softmax at the end of its"
          + " forward): Lethe reads their logarithm as its logits, and the published model still"
          + " returns probabilities";

  /**
   * Whether the model returns probabilities (its forward ends in a softmax) rather than logits;
   * {@link #forward} then returns their logarithm.
   */
  public boolean outputsProbabilities() {
    return probabilities;
  }

  /** The model's name (its file name). */
  public String name() {
    return name;
  }

  public ModelSpec spec() {
    return spec;
  }

  public Device device() {
    return model.getNDManager().getDevice();
  }

  /** Whether the weights take part in autograd. */
  public boolean trainable() {
    return trainable;
  }

  /**
   * An independent copy of this classifier (weights, buffers such as BatchNorm running statistics,
   * and spec), on the same device; used to try settings without touching this one.
   */
  public Classifier copy() throws IOException {
    Path dir = Files.createTempDirectory("lethe-copy");
    Path file = dir.resolve("model.pt");
    try {
      save(file);
      return load(file, SpecResolver.Partial.of(spec, "copy of " + name), device(), trainable);
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(dir);
    }
  }

  /** A new manager for one batch of work; close it to free every array made in it. */
  public NDManager newBatchManager() {
    return model.getNDManager().newSubManager();
  }

  /**
   * Stacks samples into an NCHW batch in {@code manager}, each in the model's input shape ({@link
   * ModelSpec#conform}: resized when the spec declares a resize, one and three channels converted,
   * any other difference refused).
   */
  public NDArray batch(NDManager manager, List<Sample> samples) {
    ImageShape shape = spec.input();
    FloatBuffer buf = FloatBuffer.allocate(samples.size() * shape.size());
    for (Sample s : samples) {
      buf.put(spec.conform(s).pixels());
    }
    buf.flip();
    return manager.create(
        buf, new Shape(samples.size(), shape.channels(), shape.height(), shape.width()));
  }

  /** Class labels of {@code samples} as an int64 array in {@code manager}. */
  public NDArray labels(NDManager manager, List<Sample> samples) {
    long[] labels = new long[samples.size()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = samples.get(i).label();
    }
    return manager.create(labels);
  }

  /**
   * Logits for an NCHW batch in [0,1] (the logarithm of a softmax model's probabilities). The
   * result lives in the manager of {@code images}.
   *
   * @param images pixels in [0,1], shape (N, C, H, W)
   * @param mode eval (no autograd), eval with autograd, or train mode
   */
  public NDArray forward(NDArray images, Mode mode) {
    return forward(images, mode, channelsLast);
  }

  /** {@link #forward(NDArray, Mode)}, copying the images channels-last first or not. */
  NDArray forward(NDArray images, Mode mode, boolean copyLast) {
    boolean train = mode == Mode.TRAIN;
    if (trainMode == null || trainMode != train) {
      if (train) {
        JniUtils.enableTrainingMode(block);
      } else {
        JniUtils.enableInferenceMode(block);
      }
      trainMode = train;
    }
    if (mode != Mode.EVAL) {
      JniUtils.setGradMode(true);
    }
    // the channels-last copy (faster convolutions, see acceptsChannelsLast) and the normalised
    // images are freed after the forward; autograd keeps what its backward needs
    NDArray input = copyLast ? channelsLast(images) : images;
    if (mean != null) {
      NDArray normalised = input.sub(mean).divi(std);
      if (input != images) {
        input.close();
      }
      input = normalised;
    }
    NDList out = IValueUtils.forward(block, new NDList(input), mode != Mode.EVAL);
    if (input != images) {
      input.close();
    }
    if (out.size() != 1) {
      // The load's probe saw one tensor in eval mode; a model that returns more in train mode
      // (auxiliary heads) gives no sign of which one holds the logits.
      int n = out.size();
      out.close();
      throw new IllegalArgumentException(
          "Cannot fine-tune model "
              + name
              + " in train mode: its forward returns "
              + n
              + " tensors in train mode (auxiliary logits, as GoogLeNet and Inception v3 return"
              + " while training) but one in eval mode, so Lethe cannot tell which holds the"
              + " logits; script a wrapper whose forward returns the main logits only in train"
              + " mode too, or fine-tune in eval mode (--set batch-norm=frozen, the default of"
              + " preset lethe)");
    }
    NDArray output = out.get(0);
    // log p are logits of the same softmax; the clipped copy lives in the caller's manager
    return probabilities ? output.clip(SMALLEST_PROBABILITY, Float.MAX_VALUE).log() : output;
  }

  /**
   * The gradient of {@code loss(logits)} with respect to the input images, in eval mode (BatchNorm
   * running statistics) with the weights kept out of autograd. The result is attached to the
   * manager of {@code images}; {@code images} itself is left unchanged (a fresh leaf is used).
   */
  public NDArray inputGradient(NDArray images, Function<NDArray, NDArray> loss) {
    return inputGradient(images, loss, channelsLast);
  }

  /** {@link #inputGradient(NDArray, Function)} from images held channels-last or plainly. */
  NDArray inputGradient(NDArray images, Function<NDArray, NDArray> loss, boolean heldLast) {
    NDManager m = images.getManager();
    boolean wasGrad = JniUtils.isGradMode();
    if (trainable) {
      setWeightsRequireGrad(false);
    }
    try (NDManager step = m.newSubManager()) {
      // a fresh leaf: a channels-last copy where the model takes one, else a plain copy
      NDArray x = heldLast ? channelsLast(images) : images.duplicate();
      x.attach(step);
      x.setRequiresGradient(true);
      NDArray logits = forward(x, Mode.EVAL_WITH_GRAD, false);
      NDArray value = loss.apply(logits);
      backward(value);
      NDArray grad = x.getGradient();
      NDArray result = grad.duplicate();
      result.attach(m);
      return result;
    } finally {
      if (trainable) {
        setWeightsRequireGrad(true);
      }
      JniUtils.setGradMode(wasGrad);
    }
  }

  /** Back-propagates a scalar loss into every tensor that requires a gradient. */
  public static void backward(NDArray scalarLoss) {
    try (NDArray ones = scalarLoss.onesLike()) {
      JniUtils.backward((PtNDArray) scalarLoss, (PtNDArray) ones, false, false);
    }
  }

  private void setWeightsRequireGrad(boolean on) {
    for (NDArray p : parameters.values()) {
      p.setRequiresGradient(on);
    }
  }

  /**
   * Keeps only the named parameters in autograd until the returned handle is closed; the others get
   * no gradient (cheaper backward) and so do not move.
   */
  public Frozen freezeAllBut(java.util.Set<String> names) {
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
      e.getValue().setRequiresGradient(names.contains(e.getKey()));
    }
    return () -> setWeightsRequireGrad(trainable);
  }

  /** Undoes {@link #freezeAllBut} when closed. */
  @FunctionalInterface
  public interface Frozen extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Runs eval-mode forwards batch by batch, each in its own manager, and returns per sample the row
   * that {@code perBatch} makes from the batch's logits and samples: an (N, W) or (N) float array.
   */
  public float[][] evalRows(
      List<Sample> samples, int batchSize, BiFunction<NDArray, List<Sample>, NDArray> perBatch) {
    float[][] out = new float[samples.size()][];
    for (int from = 0; from < samples.size(); from += batchSize) {
      List<Sample> part = samples.subList(from, Math.min(samples.size(), from + batchSize));
      try (NDManager m = newBatchManager()) {
        NDArray rows = perBatch.apply(forward(batch(m, part), Mode.EVAL), part);
        float[] flat = rows.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        int width = flat.length / part.size();
        for (int i = 0; i < part.size(); i++) {
          out[from + i] = java.util.Arrays.copyOfRange(flat, i * width, (i + 1) * width);
        }
      }
    }
    return out;
  }

  /** Predicted class of each sample (eval mode), batch by batch. */
  public int[] predict(List<Sample> samples, int batchSize) {
    float[][] rows = evalRows(samples, batchSize, (logits, part) -> logits.argMax(1));
    int[] out = new int[rows.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (int) rows[i][0];
    }
    return out;
  }

  /** Logits of each sample (eval mode) as rows of floats. */
  public float[][] logits(List<Sample> samples, int batchSize) {
    return evalRows(samples, batchSize, (logits, part) -> logits);
  }

  /** Fraction of samples whose predicted class equals their label (NaN for none). */
  public double accuracy(List<Sample> samples, int batchSize) {
    if (samples.isEmpty()) {
      return Double.NaN;
    }
    int[] pred = predict(samples, batchSize);
    int correct = 0;
    for (int i = 0; i < pred.length; i++) {
      if (pred[i] == samples.get(i).label()) {
        correct++;
      }
    }
    return correct / (double) pred.length;
  }

  /**
   * The trainable parameters by name (e.g. {@code layers.0.bn1.weight}), in the module's order.
   * These are the live tensors: changing them changes the model.
   */
  public Map<String, NDArray> parameters() {
    return Collections.unmodifiableMap(parameters);
  }

  /** A copy of every trainable parameter as a flat float array, by name, in the module's order. */
  public LinkedHashMap<String, float[]> parameterValues() {
    LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
    parameters.forEach((k, v) -> out.put(k, v.toFloatArray()));
    return out;
  }

  /**
   * Overwrites parameters from flat float arrays (e.g. after aggregation on another machine).
   *
   * @throws IllegalArgumentException naming the parameter when a name is unknown or a size differs
   */
  public void setParameterValues(Map<String, float[]> values) {
    for (Map.Entry<String, float[]> e : values.entrySet()) {
      NDArray p = parameters.get(e.getKey());
      if (p == null) {
        throw new IllegalArgumentException(
            "Cannot set parameter " + e.getKey() + ": model " + name + " has no such parameter");
      }
      if (p.size() != e.getValue().length) {
        throw new IllegalArgumentException(
            "Cannot set parameter "
                + e.getKey()
                + ": it has "
                + p.size()
                + " values but "
                + e.getValue().length
                + " were given");
      }
    }
    try (NoGrad ignored = NoGrad.enter()) {
      for (Map.Entry<String, float[]> e : values.entrySet()) {
        parameters.get(e.getKey()).set(FloatBuffer.wrap(e.getValue()));
      }
    }
  }

  /** Clears the accumulated gradient of every trainable parameter. */
  public void zeroGradients() {
    for (NDArray p : parameters.values()) {
      JniUtils.zeroGrad((PtNDArray) p);
    }
  }

  /**
   * Writes the module as a plain TorchScript .pt that {@code torch.jit.load} reads, in eval mode.
   */
  public void save(OutputStream out) {
    JniUtils.enableInferenceMode(block);
    trainMode = false;
    JniUtils.writeModule(block, out, false);
  }

  /** The module as the bytes of a plain TorchScript .pt file. */
  public byte[] toBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    save(out);
    return out.toByteArray();
  }

  /** Writes the module to {@code file} as a plain TorchScript .pt. */
  public void save(Path file) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      save(out);
    }
  }

  @Override
  public void close() {
    model.close();
  }

  /** Turns autograd off on this thread until closed, then restores what it was. */
  public static final class NoGrad implements AutoCloseable {
    private final boolean was;

    private NoGrad(boolean was) {
      this.was = was;
    }

    /** Enters no-grad on the current thread. */
    public static NoGrad enter() {
      boolean was = JniUtils.isGradMode();
      JniUtils.setGradMode(false);
      return new NoGrad(was);
    }

    @Override
    public void close() {
      JniUtils.setGradMode(was);
    }
  }
}
