package dev.lethe.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.attack.AdversarialExample;
import dev.lethe.data.ImageShape;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark's PGD file, which deploy/python/reference_paper.py also reads. */
class AdvFileTest {

  @Test
  void roundTripKeepsEveryFieldAndTheDocumentedLayout(@TempDir Path dir) throws IOException {
    ImageShape shape = new ImageShape(1, 2, 3);
    List<AdversarialExample> examples =
        List.of(
            new AdversarialExample(
                "train/864", 0, 3, 7, shape, new float[] {0, .1f, .2f, .3f, .4f, 1}, true),
            new AdversarialExample(
                "train/13259", 19, 9, 2, shape, new float[] {1, 1, 0, 0, .5f, .25f}, false));
    Path file = dir.resolve("adv.bin");
    new UnlearnBenchmark.AdvFile(examples, 12.5).write(file);

    UnlearnBenchmark.AdvFile back = UnlearnBenchmark.AdvFile.read(file);
    assertThat(back.examples()).isEqualTo(examples);
    assertThat(back.seconds()).isEqualTo(12.5);
    assertThat(dir.resolve("adv.bin.tmp")).doesNotExist();
    try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
      assertThat(in.readInt()).isEqualTo(2);
      assertThat(in.readDouble()).isEqualTo(12.5);
      assertThat(in.readUTF()).isEqualTo("train/864");
      assertThat(new int[] {in.readInt(), in.readInt(), in.readInt()}).containsExactly(0, 3, 7);
      assertThat(in.readBoolean()).isTrue();
      assertThat(new int[] {in.readInt(), in.readInt(), in.readInt()}).containsExactly(1, 2, 3);
      assertThat(in.readFloat()).isEqualTo(0f);
      assertThat(in.readFloat()).isEqualTo(.1f);
    }
    // 4 + 8 header, then per example 2 + id + 4 * 3 + 1 + 4 * 3 + 6 * 4 bytes
    assertThat(Files.size(file)).isEqualTo(12 + (2 + 9 + 49) + (2 + 11 + 49));
  }
}
