package dev.lethe.unlearn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.data.ImageShape;
import dev.lethe.data.Sample;
import dev.lethe.testing.Fixtures;
import dev.lethe.unlearn.UnlearnSettings.StandInPairs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class StandInsTest {

  private static final List<Sample> FORGET = Fixtures.train().subList(0, 8);

  @Test
  void mixturesStayInTheImageRangeAndAreNoCopyOfAForgetImage() {
    List<Sample> s = StandIns.mixtures(FORGET, 200, 0, StandInPairs.ANY);
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
    List<Sample> a = StandIns.mixtures(FORGET, 50, 3, StandInPairs.SAME_CLASS);
    List<Sample> b = StandIns.mixtures(FORGET, 50, 3, StandInPairs.SAME_CLASS);
    List<Sample> c = StandIns.mixtures(FORGET, 50, 4, StandInPairs.SAME_CLASS);
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
    assertThat(StandIns.mixtures(FORGET.subList(0, 1), 100, 0, StandInPairs.SAME_CLASS)).isEmpty();
    assertThat(StandIns.mixtures(FORGET, 0, 0, StandInPairs.ANY)).isEmpty();
  }

  /**
   * Three flat images of class 0 (all pixels 0), three of class 1 (all 1) and one of class 2 (all
   * 0.5): a mixture of two images of one class is flat at that class's value, any other is not.
   */
  private static List<Sample> flatClasses() {
    ImageShape shape = new ImageShape(1, 6, 6);
    List<Sample> forget = new ArrayList<>();
    float[] values = {0f, 0f, 0f, 1f, 1f, 1f, 0.5f};
    int[] labels = {0, 0, 0, 1, 1, 1, 2};
    for (int i = 0; i < values.length; i++) {
      float[] pixels = new float[shape.height() * shape.width()];
      Arrays.fill(pixels, values[i]);
      forget.add(new Sample("f" + i, labels[i], shape, pixels));
    }
    return forget;
  }

  private static boolean flatAt(Sample s, float value) {
    for (float v : s.pixels()) {
      if (Math.abs(v - value) > 1e-6) {
        return false;
      }
    }
    return true;
  }

  @Test
  void sameClassPairsMixTwoImagesOfOneClassWhereTheClassHasTwo() {
    List<Sample> forget = flatClasses();
    int loneClass = 0;
    for (Sample m : StandIns.mixtures(forget, 300, 7, StandInPairs.SAME_CLASS)) {
      switch (m.label()) {
        case 0 -> assertThat(flatAt(m, 0f)).as("%s, class 0", m.id()).isTrue();
        case 1 -> assertThat(flatAt(m, 1f)).as("%s, class 1", m.id()).isTrue();
        default -> {
          // The one image of class 2 has no classmate: it is mixed with an image of another class.
          assertThat(flatAt(m, 0.5f)).as("%s, class 2", m.id()).isFalse();
          loneClass++;
        }
      }
    }
    assertThat(loneClass).as("stand-ins led by the lone image of class 2").isPositive();
  }

  @Test
  void anyPairsAlsoMixImagesOfDifferentClasses() {
    long mixed =
        StandIns.mixtures(flatClasses(), 300, 7, StandInPairs.ANY).stream()
            .filter(m -> m.label() < 2 && !flatAt(m, m.label()))
            .count();
    // Half the partners of a class-0 or class-1 image are of another class.
    assertThat(mixed).as("stand-ins of class 0 or 1 mixed across classes").isGreaterThan(100);
  }
}
