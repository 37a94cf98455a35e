package dev.lethe.bench;

import ai.djl.pytorch.jni.JniUtils;
import dev.lethe.attack.PgdSettings;
import dev.lethe.data.ImageShape;
import dev.lethe.data.Sample;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.Method;
import dev.lethe.unlearn.UnlearnSettings;
import dev.lethe.unlearn.Unlearning;
import dev.lethe.unlearn.UnlearningResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Shows whether native (libtorch) memory stays flat over a long fine-tune: {@link Unlearning} (what
 * the job's stage C runs), method l2ul, the lethe preset, with small batches, for at least the
 * given number of optimizer steps, the resident set sampled about 20 times from the fine-tune's
 * progress lines.
 *
 * <p>The fine-tune stops when the forget set is forgotten, so the forget set here cannot be: each
 * of two random images appears once with every class as its label. No prediction differs from all
 * of them, the goal stays unmet and the loop runs every step up to its epoch cap (escalation is
 * off, so nothing else stops it; the bounded margin loss does not diverge). Every step is a real
 * one: forward and backward of the objective (forget, adversarial and anchor, stand-in batches, MAS
 * anchor penalty), the SGD update, and the eval forward of the forget set.
 *
 * <pre>
 * java -Xms256m -Xmx256m -XX:+AlwaysPreTouch -XX:MaxDirectMemorySize=32m \
 *   -cp "common/target/classes:common/target/test-classes:$(cat cp.txt)" \
 *   dev.lethe.bench.FineTuneMemoryBenchmark deploy/models/fashion-resnet18-w16.pt 10000 4 \
 *   docs/results/native-memory.jsonl
 * </pre>
 *
 * Arguments: model, optimizer steps at least (10,000), forget, adversarial and stand-in batch size
 * each (4), the JSON lines file. Runs on one libtorch thread.
 */
public final class FineTuneMemoryBenchmark {

  private static final Pattern STEP = Pattern.compile("^step (\\d+) epoch ");

  private FineTuneMemoryBenchmark() {}

  public static void main(String[] args) throws IOException {
    Path model = Path.of(args.length > 0 ? args[0] : "deploy/models/fashion-resnet18-w16.pt");
    int total = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    int batch = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    Path out = Path.of(args.length > 3 ? args[3] : "docs/results/native-memory.jsonl");
    int every = Math.max(10, total / 20 / 10 * 10);
    try (Classifier c = Classifier.load(model, SpecResolver.Partial.empty("benchmark"))) {
      JniUtils.setNumThreads(1);
      ImageShape shape = c.spec().input();
      int classes = c.spec().numClasses();
      Random r = new Random(0);
      List<Sample> forget = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        float[] px = new float[shape.size()];
        for (int j = 0; j < px.length; j++) {
          px[j] = r.nextFloat();
        }
        for (int label = 0; label < classes; label++) {
          forget.add(new Sample("random/" + i + "/as" + label, label, shape, px));
        }
      }
      PgdSettings pgd = PgdSettings.defaults(shape).withSteps(5).withPerInstance(1);
      UnlearnSettings preset = UnlearnSettings.defaults(Goal.MISCLASSIFY);
      // The boundary set: one adversarial example and `anchors` shifted copies per instance.
      int boundary = forget.size() * (pgd.perInstance() + Math.min(preset.anchors(), 16));
      int stepsPerEpoch = (boundary + batch - 1) / batch;
      UnlearnSettings settings =
          preset.toBuilder()
              .forgetBatch(batch)
              .adversarialBatch(batch)
              .heldOutBatch(batch)
              .escalate(0)
              .maxEpochs((total + stepsPerEpoch - 1) / stepsPerEpoch)
              .build();
      Map<String, Object> logged = new LinkedHashMap<>();
      logged.put("model", model.getFileName().toString());
      logged.put("forget", forget.size());
      logged.put("forget_batch", batch);
      logged.put("adversarial_batch", batch);
      logged.put("held_out_batch", batch);
      logged.put("max_epochs", settings.maxEpochs());
      logged.put("torch_threads", JniUtils.getNumThreads());
      logged.put("max_heap_mib", Runtime.getRuntime().maxMemory() >> 20);
      NativeMemoryLog log = new NativeMemoryLog("fine-tune", "optimizer_steps", out, logged);
      long[] last = {0};
      UnlearningResult result =
          new Unlearning(c, forget)
              .optMethod(Method.L2UL)
              .optSettings(settings)
              .optPgd(pgd)
              .optEvaluation(false)
              .optProgress(
                  line -> {
                    Matcher m = STEP.matcher(line);
                    if (m.find()) {
                      long step = Long.parseLong(m.group(1));
                      if (step % every == 0) {
                        log.sample(step);
                        last[0] = step;
                      }
                    } else {
                      System.out.println(line);
                    }
                  })
              .run();
      log.summary(result.steps());
      System.out.printf(
          "fine-tune: %d steps in %d epochs, %s%n",
          result.steps(), result.epochs(), result.message());
      if (result.steps() < total) {
        throw new IllegalStateException(
            "the fine-tune stopped after " + result.steps() + " steps: " + result.message());
      }
    }
  }
}
