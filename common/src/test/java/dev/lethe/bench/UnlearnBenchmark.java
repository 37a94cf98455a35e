package dev.lethe.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lethe.attack.AdversarialExample;
import dev.lethe.attack.PgdAttack;
import dev.lethe.attack.PgdSettings;
import dev.lethe.data.IdxReader;
import dev.lethe.data.ImageShape;
import dev.lethe.data.Sample;
import dev.lethe.eval.Evaluation;
import dev.lethe.eval.MembershipInference;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.Method;
import dev.lethe.unlearn.ResultJson;
import dev.lethe.unlearn.TuningOptions;
import dev.lethe.unlearn.UnlearnSettings;
import dev.lethe.unlearn.Unlearning;
import dev.lethe.unlearn.UnlearningResult;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The method benchmark of docs/BENCHMARKS.md: unlearns k random training instances from a model,
 * for every combination of the given seeds, methods, presets and goals, and appends one JSON line
 * per run. The test split is cut in two: the first {@code --held-out} images are the held-out
 * sample (the MIA's non-members and the unseen goal's reference), the rest measure test accuracy,
 * so the method never sees the data its cost is measured on. {@code --give-held-out false} runs as
 * a user without a held-out sample: the runs get none (the fine-tune then holds stand-ins made from
 * the forget set, and the MIA's non-members come from the test images), the test images stay the
 * same. {@code --held-out-data DIR} takes the held-out sample from another IDX data set instead
 * (its first {@code --held-out} test images, e.g. MNIST digits for the Fashion-MNIST model), and
 * test accuracy is still measured on this data set's test images after the first 1,000; such lines,
 * and those of a {@code --held-out} other than 1,000, record {@code held_out_size} (and {@code
 * held_out_data}). {@code --retain N} gives each run N random training images outside its forget
 * set as a retain sample ({@link Unlearning#optRetain}; without a held-out sample the fine-tune
 * holds them in its place, as {@code lethe unlearn} does with rows of its forget data that are not
 * forgotten); such lines record {@code retain_given}.
 *
 * <pre>
 * mvn -q -pl common exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=dev.lethe.bench.UnlearnBenchmark \
 *   -Dexec.args="--model deploy/models/fashion-resnet18-w16.pt --data data/fashion-mnist \
 *     --k 16 --seeds 0,1 --methods neggrad,adv,l2ul --presets paper,lethe --goals misclassify"
 * </pre>
 *
 * <p>{@code --adv-cache DIR} keeps each PGD set in DIR and reuses it, so processes run side by side
 * (for example one per preset, with {@code -Dai.djl.pytorch.num_threads=1} each) attack once.
 * {@code --session NAME} adds {@code "session": NAME} to every line. Preset paper with method salun
 * or scrub is those authors' values ({@code TuningTable.preset(Preset, Goal, Method)}).
 *
 * <p>The gold standard (docs/BENCHMARKS.md, issue 16) is the model retrained without the forget
 * set. {@code --print-forget-ids} prints the forget set of the one {@code --k} and {@code --seeds}
 * as training-image indices, one per line, for deploy/python/train_demo_model.py {@code --exclude};
 * {@code --evaluate-only LABEL} (e.g. {@code retrained}, {@code original}) unlearns nothing and
 * measures {@code --model} on each forget set exactly as a run measures its model (forget and test
 * accuracy, the membership-inference attack against the same non-members with the same seed), one
 * JSON line with {@code "method": LABEL} each; {@code --as-model NAME} records the model the line
 * stands for (default the file name), so that gold lines join the benchmark's by model name. A
 * model whose sidecar lists {@code training.excluded_train_indices} is measured only against that
 * forget set, and {@code retrained} needs such a list.
 */
public final class UnlearnBenchmark {

  /** Test images that are the held-out sample unless {@code --held-out} says otherwise. */
  private static final int DEFAULT_HELD_OUT = 1000;

  private UnlearnBenchmark() {}

  public static void main(String[] args) throws IOException {
    Map<String, String> a = new LinkedHashMap<>();
    List<String> sets = new ArrayList<>();
    List<String> variants = new ArrayList<>();
    for (int i = 0; i < args.length; i += 2) {
      if (args[i].equals("--print-forget-ids")) {
        a.put("print-forget-ids", "true");
        i--; // a flag without a value
        continue;
      }
      if (i + 1 == args.length) {
        throw new IllegalArgumentException(
            "Cannot use " + args[i] + ": it needs a value after it; give e.g. " + args[i] + " 16");
      }
      if (args[i].equals("--set")) {
        sets.add(args[i + 1]);
      } else if (args[i].equals("--variant")) {
        variants.add(args[i + 1]);
      } else {
        a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
      }
    }
    Path model = Path.of(a.getOrDefault("model", "deploy/models/fashion-resnet18-w16.pt"));
    Path data = Path.of(a.getOrDefault("data", "data/fashion-mnist"));
    String trainPrefix = a.getOrDefault("train-prefix", "train");
    String testPrefix = a.getOrDefault("test-prefix", "t10k");
    int heldOutSize =
        Integer.parseInt(a.getOrDefault("held-out", String.valueOf(DEFAULT_HELD_OUT)));
    int testLimit = Integer.parseInt(a.getOrDefault("test-limit", "100000"));
    Path out = Path.of(a.getOrDefault("out", "target/unlearn-benchmark.jsonl"));
    Path advDir = a.containsKey("adv-cache") ? Path.of(a.get("adv-cache")) : null;
    List<Sample> train = readSplit(data, trainPrefix);
    if (a.containsKey("print-forget-ids")) {
      String k = a.getOrDefault("k", "16");
      String seed = a.getOrDefault("seeds", "0");
      if (k.contains(",") || seed.contains(",")) {
        throw new IllegalArgumentException(
            "Cannot print the forget ids of --k "
                + k
                + " --seeds "
                + seed
                + ": give one k and one seed");
      }
      for (int i : randomIndices(train.size(), Integer.parseInt(k), Long.parseLong(seed))) {
        System.out.println(i);
      }
      return;
    }
    List<Sample> testAll = readSplit(data, testPrefix);
    // --held-out-data DIR: the held-out sample is the first --held-out test images of another data
    // set (IDX, same test prefix), e.g. MNIST digits for the Fashion-MNIST model; test accuracy is
    // then measured on this data set's test images after the first 1,000, as by default
    Path heldOutData = a.containsKey("held-out-data") ? Path.of(a.get("held-out-data")) : null;
    List<Sample> heldOutSource = heldOutData == null ? testAll : readSplit(heldOutData, testPrefix);
    int testFrom = heldOutData == null ? heldOutSize : DEFAULT_HELD_OUT;
    // the held-out sample must fit its data set and, when it comes from this data set's test
    // split, leave test images after it
    int heldOutRoom = heldOutData == null ? heldOutSource.size() - 1 : heldOutSource.size();
    if (heldOutSize < 1 || heldOutSize > heldOutRoom) {
      throw new IllegalArgumentException(
          "Cannot use --held-out "
              + heldOutSize
              + ": "
              + (heldOutData == null ? data : heldOutData)
              + " has "
              + heldOutSource.size()
              + " "
              + testPrefix
              + " images"
              + (heldOutData == null ? ", and the test accuracy needs the ones after it" : "")
              + "; give --held-out between 1 and "
              + heldOutRoom);
    }
    List<Sample> heldOut = heldOutSource.subList(0, heldOutSize);
    // false: the runs get no held-out sample (as a user without one), the test set stays the same
    String give = a.getOrDefault("give-held-out", "true");
    if (!give.equals("true") && !give.equals("false")) {
      throw new IllegalArgumentException("--give-held-out takes true or false, got '" + give + "'");
    }
    boolean giveHeldOut = give.equals("true");
    List<Sample> test = testAll.subList(testFrom, Math.min(testAll.size(), testFrom + testLimit));
    Files.createDirectories(out.toAbsolutePath().getParent());
    if (a.containsKey("evaluate-only")) {
      String modelName = a.getOrDefault("as-model", model.getFileName().toString());
      for (String kText : a.getOrDefault("k", "16").split(",")) {
        int k = Integer.parseInt(kText);
        for (String seedText : a.getOrDefault("seeds", "0").split(",")) {
          long seed = Long.parseLong(seedText);
          int[] ids = randomIndices(train.size(), k, seed);
          checkExcluded(model, a.get("evaluate-only"), ids, k, seed);
          try (Classifier c = Classifier.load(model, SpecResolver.Partial.empty("benchmark"))) {
            ObjectNode json =
                evaluate(
                    c,
                    a.get("evaluate-only"),
                    select(train, ids),
                    test,
                    giveHeldOut ? heldOut : List.of(),
                    seed);
            json.put("model", modelName);
            json.put("model_file", model.getFileName().toString());
            json.put("held_out_given", giveHeldOut);
            putHeldOutSource(json, giveHeldOut, heldOut.size(), heldOutData);
            append(out, json.toString());
          }
        }
      }
      return;
    }
    // PGD is the same for every preset and goal of one (k, seed): make it once per pair.
    Map<String, AdvFile> advCache = new LinkedHashMap<>();
    for (String kText : a.getOrDefault("k", "16").split(",")) {
      int k = Integer.parseInt(kText);
      for (String seedText : a.getOrDefault("seeds", "0").split(",")) {
        long seed = Long.parseLong(seedText);
        List<Sample> forget = randomInstances(train, k, seed);
        List<Sample> retained =
            retainedSample(train, k, seed, Integer.parseInt(a.getOrDefault("retain", "0")));
        for (String methodName : a.getOrDefault("methods", "l2ul").split(",")) {
          for (String preset : a.getOrDefault("presets", "lethe").split(",")) {
            for (String goalName : a.getOrDefault("goals", "misclassify").split(","))
              for (String variant : variants.isEmpty() ? List.of("") : variants) {
                List<String> overrides = new ArrayList<>(sets);
                for (String kv : variant.trim().split("\\s+")) {
                  if (!kv.isEmpty()) {
                    overrides.add(kv);
                  }
                }
                Method method = Method.parse(methodName);
                Goal goal = Goal.parse(goalName);
                try (Classifier c =
                    Classifier.load(model, SpecResolver.Partial.empty("benchmark"))) {
                  TuningOptions.Applied applied =
                      TuningOptions.apply(
                          UnlearnSettings.presetCandidates(preset, goal, method).get(0),
                          PgdSettings.defaults(c.spec().input()),
                          TuningOptions.parse(overrides));
                  PrintStream log = System.err;
                  String advKey = k + "|" + seed + "|" + applied.pgd();
                  if (method.usesAdversarialExamples() && !advCache.containsKey(advKey)) {
                    advCache.put(
                        advKey, AdvFile.load(advDir, model, c, forget, k, seed, applied.pgd()));
                  }
                  Unlearning run = new Unlearning(c, forget);
                  List<UnlearnSettings> candidates = new ArrayList<>();
                  for (UnlearnSettings cand :
                      UnlearnSettings.presetCandidates(preset, goal, method)) {
                    candidates.add(
                        TuningOptions.apply(cand, applied.pgd(), TuningOptions.parse(overrides))
                            .settings());
                  }
                  if (candidates.size() > 1) {
                    run.optCandidates(candidates); // preset calibrate: each with the overrides
                  } else {
                    run.optSettings(candidates.get(0));
                  }
                  if (method.usesAdversarialExamples()) {
                    run.optAdversarial(advCache.get(advKey).examples());
                  }
                  if (!retained.isEmpty()) {
                    run.optRetain(retained);
                  }
                  UnlearningResult r =
                      run.optMethod(method)
                          .optGoal(goal)
                          .optPgd(applied.pgd())
                          .optTest(test)
                          .optHeldOut(giveHeldOut ? heldOut : List.of())
                          .optSeed(seed)
                          .optProgress(line -> log.println("  " + line))
                          .run();
                  ObjectNode json = ResultJson.toJson(r);
                  json.put("preset", preset);
                  json.put("model", model.getFileName().toString());
                  json.put("overrides", String.join(" ", overrides));
                  json.put("held_out_given", giveHeldOut);
                  putHeldOutSource(json, giveHeldOut, heldOut.size(), heldOutData);
                  if (!retained.isEmpty()) {
                    json.put("retain_given", retained.size());
                  }
                  if (a.containsKey("session")) {
                    json.put("session", a.get("session"));
                  }
                  if (method.usesAdversarialExamples()) {
                    ((ObjectNode) json.get("seconds"))
                        .put("adversarial", advCache.get(advKey).seconds());
                  }
                  append(out, json.toString());
                }
              }
          }
        }
      }
    }
  }

  /**
   * A PGD set kept on disk ({@code --adv-cache DIR}) so that several benchmark processes (one per
   * preset or variant, run side by side) share one attack per (model, k, seed, PGD settings); the
   * recorded seconds are those of the attack that made it. Plain big-endian binary, so that other
   * tools read it too (deploy/python/reference_paper.py): int32 count, float64 seconds, then per
   * example the source id (Java modified UTF-8, 2-byte length first), int32 index, source label and
   * target, one byte success, int32 channels, height and width, and the float32 pixels.
   */
  record AdvFile(List<AdversarialExample> examples, double seconds) {

    /**
     * The PGD set of (model, k, seed, settings): read from {@code dir} when an earlier process made
     * it, else attacked now (and kept in {@code dir} when given).
     */
    static AdvFile load(
        Path dir, Path model, Classifier c, List<Sample> forget, int k, long seed, PgdSettings pgd)
        throws IOException {
      Path file =
          dir == null
              ? null
              : dir.resolve(
                  String.format(
                      "adv-%s-k%d-seed%d-%08x.bin",
                      model.getFileName(), k, seed, pgd.toString().hashCode()));
      if (file != null && Files.exists(file)) {
        return read(file);
      }
      long t0 = System.nanoTime();
      List<AdversarialExample> examples =
          new PgdAttack(c, pgd.withSeed(seed)).generate(forget, 256);
      AdvFile made = new AdvFile(examples, (System.nanoTime() - t0) / 1e9);
      if (file != null) {
        made.write(file);
      }
      return made;
    }

    static AdvFile read(Path file) throws IOException {
      try (DataInputStream in =
          new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
        int n = in.readInt();
        double seconds = in.readDouble();
        List<AdversarialExample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          String id = in.readUTF();
          int index = in.readInt();
          int label = in.readInt();
          int target = in.readInt();
          boolean success = in.readBoolean();
          ImageShape shape = new ImageShape(in.readInt(), in.readInt(), in.readInt());
          float[] pixels = new float[shape.size()];
          for (int j = 0; j < pixels.length; j++) {
            pixels[j] = in.readFloat();
          }
          out.add(new AdversarialExample(id, index, label, target, shape, pixels, success));
        }
        return new AdvFile(out, seconds);
      }
    }

    void write(Path file) throws IOException {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      try (DataOutputStream o =
          new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
        o.writeInt(examples.size());
        o.writeDouble(seconds);
        for (AdversarialExample e : examples) {
          o.writeUTF(e.sourceId());
          o.writeInt(e.index());
          o.writeInt(e.sourceLabel());
          o.writeInt(e.target());
          o.writeBoolean(e.success());
          o.writeInt(e.shape().channels());
          o.writeInt(e.shape().height());
          o.writeInt(e.shape().width());
          for (float f : e.pixels()) {
            o.writeFloat(f);
          }
        }
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  /**
   * Records where a held-out sample other than the default came from: its size when it is not the
   * first 1,000 test images, and the data set it was taken from when that is not the model's.
   */
  private static void putHeldOutSource(ObjectNode json, boolean given, int size, Path heldOutData) {
    if (given && (heldOutData != null || size != DEFAULT_HELD_OUT)) {
      json.put("held_out_size", size);
      if (heldOutData != null) {
        json.put("held_out_data", heldOutData.getFileName().toString());
      }
    }
  }

  /** The images and labels of one IDX split ({@code prefix} train or t10k) under {@code dir}. */
  private static List<Sample> readSplit(Path dir, String prefix) {
    return IdxReader.read(idx(dir, prefix, "images-idx3"), idx(dir, prefix, "labels-idx1"));
  }

  private static Path idx(Path dir, String prefix, String kind) {
    Path gz = dir.resolve(prefix + "-" + kind + "-ubyte.gz");
    return Files.exists(gz) ? gz : dir.resolve(prefix + "-" + kind + "-ubyte");
  }

  /** Prints a result line and appends it to {@code out}. */
  private static void append(Path out, String line) throws IOException {
    System.out.println(line);
    Files.writeString(
        out,
        line + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  /**
   * Measures a model on a forget set as {@link Unlearning#run} measures its model before and after
   * unlearning, with nothing unlearned: forget and test accuracy, and the membership-inference
   * attack of the forget set against the held-out sample (against the test images when none is
   * given), with the run's batch size and seed. The line has the fields of a run's line that apply
   * ({@code "status": "evaluated"}, {@code "method": label}, no goal), each accuracy once.
   */
  static ObjectNode evaluate(
      Classifier c,
      String label,
      List<Sample> forget,
      List<Sample> test,
      List<Sample> heldOut,
      long seed) {
    int batch = 256; // Unlearning's default, as the runs use it
    long t0 = System.nanoTime();
    List<Sample> nonMembers = heldOut.isEmpty() ? test : heldOut;
    double forgetAcc = c.accuracy(forget, batch);
    double testAcc = c.accuracy(test, batch);
    MembershipInference.Result mia = Evaluation.membership(c, forget, nonMembers, batch, seed);
    ObjectNode o = new ObjectMapper().createObjectNode();
    o.put("status", "evaluated");
    o.put("method", label);
    o.putNull("goal");
    o.put("k", forget.size());
    o.put("seed", seed);
    o.putObject("forget").put("accuracy", ResultJson.round(forgetAcc)).put("size", forget.size());
    o.putObject("test").put("accuracy", ResultJson.round(testAcc)).put("size", test.size());
    o.putObject("mia")
        .put("accuracy", ResultJson.round(mia.accuracy()))
        .put("auc", ResultJson.round(mia.auc()))
        .put("members", mia.members())
        .put("folds", mia.folds());
    o.putObject("seconds").put("evaluate", ResultJson.round((System.nanoTime() - t0) / 1e9));
    o.put("device", c.device().toString());
    return o;
  }

  /**
   * Fails unless the model may stand for the forget set {@code ids}: a model whose sidecar lists
   * the training images it was trained without ({@code training.excluded_train_indices}) must list
   * exactly these, and a model labelled {@code retrained} must list them.
   */
  static void checkExcluded(Path model, String label, int[] ids, int k, long seed)
      throws IOException {
    Path sidecar = SpecResolver.sidecarPath(model);
    JsonNode excluded =
        Files.isRegularFile(sidecar)
            ? new ObjectMapper()
                .readTree(sidecar.toFile())
                .path("training")
                .get("excluded_train_indices")
            : null;
    String retrain =
        "retrain it with deploy/python/train_demo_model.py --exclude FILE, FILE from"
            + " UnlearnBenchmark --print-forget-ids --k "
            + k
            + " --seeds "
            + seed;
    if (excluded == null || excluded.isEmpty()) {
      if (label.equals("retrained")) {
        throw new IllegalArgumentException(
            "Cannot evaluate --model "
                + model
                + " as --evaluate-only retrained: its sidecar "
                + sidecar.getFileName()
                + " lists no training.excluded_train_indices; "
                + retrain);
      }
      return;
    }
    int[] listed = new int[excluded.size()];
    for (int i = 0; i < listed.length; i++) {
      listed[i] = excluded.get(i).asInt();
    }
    Arrays.sort(listed);
    if (!Arrays.equals(listed, ids)) {
      throw new IllegalArgumentException(
          "Cannot evaluate --model "
              + model
              + " for --k "
              + k
              + " --seeds "
              + seed
              + ": it was trained without "
              + listed.length
              + " other training images (training.excluded_train_indices of "
              + sidecar.getFileName()
              + "); give the k and seed it was retrained for, or "
              + retrain);
    }
  }

  /**
   * The indices of k distinct training instances drawn with the seed from {@code n}, ascending: the
   * benchmark's forget set, in the training file's order.
   */
  public static int[] randomIndices(int n, int k, long seed) {
    if (k < 1 || k > n) {
      throw new IllegalArgumentException(
          "Cannot draw --k " + k + " training images from " + n + ": give a k in 1.." + n);
    }
    int[] idx = new SplittableRandom(seed).ints(0, n).distinct().limit(k).toArray();
    Arrays.sort(idx);
    return idx;
  }

  /** k distinct training instances drawn with the seed (the benchmark's forget set). */
  public static List<Sample> randomInstances(List<Sample> train, int k, long seed) {
    return select(train, randomIndices(train.size(), k, seed));
  }

  /**
   * {@code n} training instances outside the forget set of (k, seed), drawn with their own seed:
   * the retain sample of {@code --retain N}.
   */
  private static List<Sample> retainedSample(List<Sample> train, int k, long seed, int n) {
    if (n == 0) {
      return List.of();
    }
    Set<Integer> forget = new HashSet<>();
    for (int i : randomIndices(train.size(), k, seed)) {
      forget.add(i);
    }
    int[] idx =
        new SplittableRandom(seed ^ 0x52455441494eL)
            .ints(0, train.size())
            .filter(i -> !forget.contains(i))
            .distinct()
            .limit(n)
            .toArray();
    Arrays.sort(idx);
    return select(train, idx);
  }

  private static List<Sample> select(List<Sample> train, int[] ids) {
    List<Sample> out = new ArrayList<>(ids.length);
    for (int i : ids) {
      out.add(train.get(i));
    }
    return out;
  }
}
