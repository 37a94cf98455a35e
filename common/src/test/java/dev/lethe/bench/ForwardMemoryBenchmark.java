package dev.lethe.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.lethe.data.ImageShape;
import dev.lethe.model.Classifier;
import dev.lethe.model.SpecResolver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Shows that native (libtorch) memory stays flat over many eval forwards when every batch is
 * scoped: prints the process's resident set size every {@code every} forwards.
 *
 * <pre>
 * mvn -q -pl common exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=dev.lethe.bench.ForwardMemoryBenchmark \
 *   -Dexec.args="deploy/models/fashion-resnet18-w16.pt 10000 16"
 * </pre>
 *
 * Arguments: model path, number of forwards (10,000), batch size (16). Run it with a fixed,
 * pre-touched Java heap ({@code -Xms128m -Xmx128m -XX:+AlwaysPreTouch}, as docs/BENCHMARKS.md does)
 * so that any growth of the resident set is native memory, not the Java heap filling up between
 * collections.
 */
public final class ForwardMemoryBenchmark {

  private ForwardMemoryBenchmark() {}

  public static void main(String[] args) throws IOException {
    Path model = Path.of(args.length > 0 ? args[0] : "deploy/models/fashion-resnet18-w16.pt");
    int forwards = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    int batch = args.length > 2 ? Integer.parseInt(args[2]) : 16;
    int every = Math.max(1, forwards / 20);
    try (Classifier c = Classifier.load(model, SpecResolver.Partial.empty("benchmark"))) {
      ImageShape s = c.spec().input();
      float[] pixels = new float[batch * s.size()];
      Random r = new Random(0);
      for (int i = 0; i < pixels.length; i++) {
        pixels[i] = r.nextFloat();
      }
      long start = System.nanoTime();
      long firstRss = 0;
      long maxRss = 0;
      System.out.printf("model %s, batch %d, %d forwards%n", model.getFileName(), batch, forwards);
      System.out.println("forwards\trss_mib\theap_committed_mib\tseconds");
      for (int i = 1; i <= forwards; i++) {
        try (NDManager m = c.newBatchManager()) {
          NDArray x =
              m.create(
                  pixels,
                  new ai.djl.ndarray.types.Shape(batch, s.channels(), s.height(), s.width()));
          c.forward(x, Classifier.Mode.EVAL).argMax(1).toLongArray();
        }
        if (i % every == 0) {
          long rss = rssKib() / 1024;
          if (firstRss == 0) {
            firstRss = rss;
          }
          maxRss = Math.max(maxRss, rss);
          System.out.printf(
              "%d\t%d\t%d\t%.1f%n",
              i, rss, Runtime.getRuntime().totalMemory() >> 20, (System.nanoTime() - start) / 1e9);
        }
      }
      System.out.printf(
          "rss after %d forwards: first sample %d MiB, max %d MiB, growth %d MiB%n",
          forwards, firstRss, maxRss, maxRss - firstRss);
    }
  }

  private static long rssKib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}
