package dev.lethe.job.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.data.ImageShape;
import dev.lethe.data.Resize;
import dev.lethe.data.Sample;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.SparkTestBase;
import dev.lethe.model.ModelSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A folder of images larger than the model's input, read with the model's declared resize: the
 * executors resize each image as they decode it, so the driver holds the images at the size the
 * model's pipeline makes of them (a folder of 12-megapixel photos ran a 1 GiB driver out of memory
 * before), and what reaches the model is what the originals would have given.
 */
class ResizeOnReadTest extends SparkTestBase {

  @TempDir static Path tmp;

  @Test
  void imagesAreHeldAtTheResizedSizeAndReachTheModelAsTheOriginalsWould() {
    // torchvision's Resize(10) then CenterCrop(8), for 8x8 digits at 48x64, 40x40 and their own
    // size
    ModelSpec spec =
        new ModelSpec(new ImageShape(1, 8, 8), 10, null, null, List.of(), new Resize(10));
    List<Sample> originals = new ArrayList<>();
    List<Sample> digits = JobFixtures.testSamples().subList(0, 30);
    for (int i = 0; i < digits.size(); i++) {
      Sample s = digits.get(i);
      originals.add(
          switch (i % 3) {
            case 0 -> JobFixtures.stretched(s, 6, 8);
            case 1 -> JobFixtures.enlarged(s, 5);
            default -> s;
          });
    }
    Path folder = JobFixtures.writeImageFolder(originals, tmp.resolve("large"));

    Map<String, Sample> read =
        new SampleReader(spark)
                .partitions(2)
                .resize(spec.resize(), spec.input())
                .read(folder.toString())
                .samples()
                .collect()
                .stream()
                .collect(Collectors.toMap(Sample::id, Function.identity()));

    assertThat(read).hasSize(originals.size());
    for (int i = 0; i < originals.size(); i++) {
      Sample original = originals.get(i);
      Sample held = read.get(original.label() + "/" + original.id().replace('/', '-') + ".png");
      ImageShape expected =
          switch (i % 3) {
            case 0 -> new ImageShape(1, 10, 13); // 48x64: shorter side 10, int(10 * 64 / 48)
            case 1 -> new ImageShape(1, 10, 10);
            default -> new ImageShape(1, 8, 8); // at the input size: as it is
          };
      assertThat(held.shape())
          .as("held at the resized size: %s", original.id())
          .isEqualTo(expected);
      assertThat(spec.conform(held).pixels())
          .as("what the model sees of %s, as from the original", original.id())
          .containsExactly(spec.conform(original).pixels());
    }
  }
}
