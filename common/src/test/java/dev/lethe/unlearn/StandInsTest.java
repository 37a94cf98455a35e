package dev.lethe.unlearn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.data.Sample;
import dev.lethe.testing.Fixtures;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class StandInsTest {

  private static final List<Sample> FORGET = Fixtures.train().subList(0, 8);

  @Test
  void mixturesStayInTheImageRangeAndAreNoCopyOfAForgetImage() {
    List<Sample> s = StandIns.mixtures(FORGET, 200, 0);
    assertThat(s).hasSize(200);
    for (Sample m : s) {
      assertThat(m.shape()).isEqualTo(FORGET.get(0).shape());
      for (float v : m.pixels()) {
        assertThat(v).isBetween(0f, 1f);
      }
      for (Sample f : FORGET) {
        double d = 0;
        for (int i = 0; i < f.pixels().length; i++) {
          d += Math.abs(f.pixels()[i] - m.pixels()[i]);
        }
        // A mixture weighs either image at most 0.7, so it keeps a distance from both.
        assertThat(d / f.pixels().length)
            .as("mean pixel distance of %s from forget image %s", m.id(), f.id())
            .isGreaterThan(0.01);
      }
    }
  }

  @Test
  void theSeedDecidesTheImages() {
    List<Sample> a = StandIns.mixtures(FORGET, 50, 3);
    List<Sample> b = StandIns.mixtures(FORGET, 50, 3);
    List<Sample> c = StandIns.mixtures(FORGET, 50, 4);
    for (int i = 0; i < a.size(); i++) {
      assertThat(a.get(i).pixels()).as("same seed, image %d", i).isEqualTo(b.get(i).pixels());
    }
    long differ =
        java.util.stream.IntStream.range(0, a.size())
            .filter(i -> !Arrays.equals(a.get(i).pixels(), c.get(i).pixels()))
            .count();
    assertThat(differ).as("images that differ with another seed").isGreaterThan(45);
  }

  @Test
  void noneFromASingleImageOrWhenNoneAreAskedFor() {
    assertThat(StandIns.mixtures(FORGET.subList(0, 1), 100, 0)).isEmpty();
    assertThat(StandIns.mixtures(FORGET, 0, 0)).isEmpty();
  }
}
