package dev.lethe.bench;

import ai.djl.pytorch.jni.JniUtils;
import dev.lethe.attack.AdversarialExample;
import dev.lethe.attack.PgdAttack;
import dev.lethe.attack.PgdSettings;
import dev.lethe.data.ImageShape;
import dev.lethe.data.Sample;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Shows whether native (libtorch) memory stays flat over a long PGD run: {@link PgdAttack} on a
 * trainable copy of the model with autograd on (as a stage A task runs it), batch after batch, and
 * the resident set sampled about 20 times. One PGD step is one forward and one backward of a batch;
 * the count is of steps.
 *
 * <pre>
 * java -Xms128m -Xmx128m -XX:+AlwaysPreTouch -XX:MaxDirectMemorySize=32m \
 *   -cp "common/target/classes:common/target/test-classes:$(cat cp.txt)" \
 *   dev.lethe.bench.PgdMemoryBenchmark deploy/models/fashion-resnet18-w16.pt 10000 8 5 \
 *   docs/results/native-memory.jsonl
 * </pre>
 *
 * Arguments: model, PGD steps in all (10,000), examples per batch (8), PGD steps per batch (5), the
 * JSON lines file. Runs on one libtorch thread.
 */
public final class PgdMemoryBenchmark {

  private PgdMemoryBenchmark() {}

  public static void main(String[] args) throws IOException {
    Path model = Path.of(args.length > 0 ? args[0] : "deploy/models/fashion-resnet18-w16.pt");
    int total = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    int batch = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    int stepsPerBatch = args.length > 3 ? Integer.parseInt(args[3]) : 5;
    Path out = Path.of(args.length > 4 ? args[4] : "docs/results/native-memory.jsonl");
    int every = Math.max(stepsPerBatch, total / 20 / stepsPerBatch * stepsPerBatch);
    try (Classifier c = Classifier.load(model, SpecResolver.Partial.empty("benchmark"))) {
      JniUtils.setNumThreads(1);
      JniUtils.setGradMode(true);
      ImageShape shape = c.spec().input();
      int classes = c.spec().numClasses();
      // A pool of random images with random labels; each batch takes the next `batch` of them.
      Random r = new Random(0);
      List<Sample> pool = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        float[] px = new float[shape.size()];
        for (int j = 0; j < px.length; j++) {
          px[j] = r.nextFloat();
        }
        pool.add(new Sample("random/" + i, r.nextInt(classes), shape, px));
      }
      PgdSettings base = PgdSettings.defaults(shape).withSteps(stepsPerBatch).withPerInstance(1);
      Map<String, Object> settings = new LinkedHashMap<>();
      settings.put("model", model.getFileName().toString());
      settings.put("batch", batch);
      settings.put("steps_per_batch", stepsPerBatch);
      settings.put("norm", base.norm().toString());
      settings.put("torch_threads", JniUtils.getNumThreads());
      settings.put("max_heap_mib", Runtime.getRuntime().maxMemory() >> 20);
      NativeMemoryLog log = new NativeMemoryLog("pgd", "pgd_steps", out, settings);
      long steps = 0;
      long hits = 0;
      long made = 0;
      for (int b = 0; steps < total; b++) {
        List<Sample> instances = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
          instances.add(pool.get((b * batch + i) % pool.size()));
        }
        List<AdversarialExample> adv =
            new PgdAttack(c, base.withSeed(b)).generate(instances, batch);
        made += adv.size();
        hits += adv.stream().filter(AdversarialExample::success).count();
        steps += stepsPerBatch;
        if (steps % every == 0 || steps >= total) {
          log.sample(steps);
        }
      }
      log.summary(steps);
      System.out.printf("%d adversarial examples, %d on target%n", made, hits);
    }
  }
}
