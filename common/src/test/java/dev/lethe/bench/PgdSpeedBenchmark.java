package dev.lethe.bench;

import ai.djl.pytorch.jni.JniUtils;
import dev.lethe.attack.AdversarialExample;
import dev.lethe.attack.PgdAttack;
import dev.lethe.attack.PgdSettings;
import dev.lethe.data.IdxReader;
import dev.lethe.data.ImageShape;
import dev.lethe.data.Sample;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lethe's PGD ({@link PgdAttack#generate}) in one plain JVM, no Spark: the Java half of the
 * side-by-side PGD benchmark that {@code deploy/bin/bench-pgd} runs against the same attack in
 * PyTorch ({@code deploy/python/pgd_bench.py}).
 *
 * <p>The forget instances are {@code k} training images of an IDX file (image {@code i*7919 mod N},
 * as StageABenchmark picks them), fitted to the model's input shape the way a 1-channel 28x28 data
 * set is fitted to a 3x32x32 model: zero-padded to H x W around the centre and repeated to C
 * channels. Timed: from the first PGD call to the examples in hand; the model is loaded before.
 *
 * <p>With {@code --dump FILE} it writes what the PyTorch side needs to run the same attack and to
 * check that it did: seed, settings, and per example the instance id, label, clean image, target
 * and Lethe's adversarial image (big-endian; read by pgd_bench.py). Prints one JSON line.
 *
 * <p>The model is loaded frozen (weights out of autograd), as stage A's executors hold it; {@code
 * --frozen false} loads it trainable (the attack then takes the weights out of autograd per step).
 * {@code --profile FILE} writes libtorch's profiler trace of the attack (Chrome trace JSON).
 *
 * <pre>
 * PgdSpeedBenchmark --model M.pt --images train-images-idx3-ubyte.gz --k 16 --batch 256
 *     --threads 2 [--steps 100] [--dump FILE] [--frozen false] [--profile FILE]
 * </pre>
 */
public final class PgdSpeedBenchmark {

  private PgdSpeedBenchmark() {}

  public static void main(String[] args) throws IOException {
    Map<String, String> a = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    Path model = Path.of(a.getOrDefault("model", "deploy/models/fashion-resnet18-w16.pt"));
    Path images =
        Path.of(a.getOrDefault("images", "data/fashion-mnist/train-images-idx3-ubyte.gz"));
    Path labels = Path.of(images.toString().replace("images-idx3", "labels-idx1"));
    int k = Integer.parseInt(a.getOrDefault("k", "16"));
    int batch = Integer.parseInt(a.getOrDefault("batch", "256"));
    int threads = Integer.parseInt(a.getOrDefault("threads", "2"));
    boolean frozen = Boolean.parseBoolean(a.getOrDefault("frozen", "true"));
    try (Classifier c =
        Classifier.load(
            model, SpecResolver.Partial.empty("benchmark"), Classifier.defaultDevice(), !frozen)) {
      JniUtils.setNumThreads(threads);
      PgdSettings pgd = PgdSettings.defaults(c.spec().input()).withSeed(0);
      if (a.containsKey("steps")) {
        pgd = pgd.withSteps(Integer.parseInt(a.get("steps")));
      }
      List<Sample> train = IdxReader.read(images, labels);
      List<Sample> forget = new ArrayList<>();
      for (int i = 0; i < k; i++) {
        forget.add(fit(train.get((int) ((i * 7919L) % train.size())), c.spec().input()));
      }
      java.lang.management.ThreadMXBean cpu =
          java.lang.management.ManagementFactory.getThreadMXBean();
      long cpuStart = cpu.getCurrentThreadCpuTime();
      if (a.containsKey("profile")) {
        JniUtils.startProfile(false, false, false);
      }
      long start = System.nanoTime();
      List<AdversarialExample> examples = new PgdAttack(c, pgd).generate(forget, batch);
      double seconds = (System.nanoTime() - start) / 1e9;
      if (a.containsKey("profile")) {
        JniUtils.stopProfile(a.get("profile"));
      }
      double cpuSeconds = (cpu.getCurrentThreadCpuTime() - cpuStart) / 1e9;
      if (a.containsKey("dump")) {
        dump(Path.of(a.get("dump")), pgd, forget, examples);
      }
      System.out.printf(
          "{\"side\":\"lethe\",\"model\":\"%s\",\"params\":%d,\"input\":\"%s\",\"k\":%d,"
              + "\"examples\":%d,\"steps\":%d,\"batch\":%d,\"threads\":%d,\"seconds\":%.2f,\"main_thread_cpu_seconds\":%.2f,"
              + "\"examples_per_second\":%.3f,\"attack_success\":%.4f}%n",
          model.getFileName(),
          c.parameters().values().stream().mapToLong(x -> x.size()).sum(),
          c.spec().input(),
          k,
          examples.size(),
          pgd.steps(),
          batch,
          threads,
          seconds,
          cpuSeconds,
          examples.size() / seconds,
          PgdAttack.successRate(examples));
    }
  }

  /** The image zero-padded to the shape's H x W around its centre and repeated to C channels. */
  static Sample fit(Sample s, ImageShape to) {
    ImageShape from = s.shape();
    if (from.equals(to)) {
      return s;
    }
    if (from.channels() != 1 && from.channels() != to.channels()
        || from.height() > to.height()
        || from.width() > to.width()) {
      throw new IllegalArgumentException(
          "Cannot fit image "
              + s.id()
              + " of shape "
              + from
              + " to the model's input "
              + to
              + ": give images with 1 or "
              + to.channels()
              + " channels and at most "
              + to.height()
              + "x"
              + to.width()
              + " pixels");
    }
    float[] px = new float[to.size()];
    int top = (to.height() - from.height()) / 2;
    int left = (to.width() - from.width()) / 2;
    for (int ch = 0; ch < to.channels(); ch++) {
      int src = from.channels() == 1 ? 0 : ch;
      for (int y = 0; y < from.height(); y++) {
        System.arraycopy(
            s.pixels(),
            (src * from.height() + y) * from.width(),
            px,
            (ch * to.height() + top + y) * to.width() + left,
            from.width());
      }
    }
    return new Sample(s.id(), s.label(), to, px);
  }

  private static void dump(
      Path file, PgdSettings pgd, List<Sample> forget, List<AdversarialExample> examples)
      throws IOException {
    Map<String, Sample> byId = new LinkedHashMap<>();
    for (Sample s : forget) {
      byId.put(s.id(), s);
    }
    try (DataOutputStream out =
        new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
      out.writeLong(pgd.seed());
      out.writeUTF(pgd.norm().name());
      out.writeFloat(pgd.epsilon());
      out.writeFloat(pgd.stepSize());
      out.writeInt(pgd.steps());
      out.writeInt(examples.size());
      for (AdversarialExample e : examples) {
        Sample s = byId.get(e.sourceId());
        byte[] id = e.sourceId().getBytes(StandardCharsets.UTF_8);
        out.writeShort(id.length);
        out.write(id);
        out.writeInt(e.index());
        out.writeInt(s.label());
        out.writeInt(e.target());
        ImageShape shape = s.shape();
        out.writeInt(shape.channels());
        out.writeInt(shape.height());
        out.writeInt(shape.width());
        for (float v : s.pixels()) {
          out.writeFloat(v);
        }
        for (float v : e.pixels()) {
          out.writeFloat(v);
        }
      }
    }
  }
}
