package dev.lethe.chart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.unlearn.Trajectory;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ChartsTest {

  /** The PNG decoded, checked to be the charts' size and to draw more than a blank page. */
  static BufferedImage decode(byte[] png) throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    assertThat(image).as("decodes as an image").isNotNull();
    assertThat(image.getWidth()).isEqualTo(Charts.WIDTH);
    assertThat(image.getHeight()).isEqualTo(Charts.HEIGHT);
    long colours =
        Arrays.stream(
                image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth()))
            .distinct()
            .count();
    assertThat(colours)
        .as("distinct colours: lines, text and fills, not a blank image")
        .isGreaterThan(10);
    return image;
  }

  @Test
  void histogramCountsEveryValueOnceAndNanApart() {
    double[] values = {-5, 0, 0.5, 0.99, 1, 1.5, 2, 3, Double.POSITIVE_INFINITY, Double.NaN};
    Histogram h = Histogram.of(values, 0, 2, 4);
    assertThat(h.counts())
        .as("below lo in the first bin, at or above hi (infinity too) in the last")
        .containsExactly(2, 2, 1, 4);
    assertThat(h.nan()).isEqualTo(1);
    assertThat(h.total() + h.nan()).isEqualTo(values.length);
    assertThat(h.fractions()).containsExactly(2 / 9.0, 2 / 9.0, 1 / 9.0, 4 / 9.0);
    assertThat(h.lefts()).containsExactly(0, 0.5, 1, 1.5);
  }

  @Test
  void lossHistogramsShareTheRangeOfAllFourSets() {
    LossHistograms h =
        LossHistograms.of(
            "held-out sample",
            new double[] {0.01, 0.02},
            new double[] {3.0, 9.0},
            new double[] {0.1, 0.2, 0.3},
            new double[] {0.1, 0.2, 7.0});
    for (Histogram one :
        List.of(h.forgetBefore(), h.forgetAfter(), h.nonMembersBefore(), h.nonMembersAfter())) {
      assertThat(one.lo()).isEqualTo(0.01);
      assertThat(one.hi()).isEqualTo(9.0);
      assertThat(one.counts()).hasSize(LossHistograms.BINS);
    }
    assertThat(h.forgetAfter().counts()[LossHistograms.BINS - 1]).as("9.0 in the last bin").isOne();
    assertThat(h.nonMembersAfter().total()).isEqualTo(3);
    assertThat(Histogram.range(new double[] {2, 2})).containsExactly(1.5, 2.5);
    assertThat(Histogram.range(new double[] {Double.NaN})).containsExactly(0, 1);
  }

  @Test
  void chartsRenderHeadlessAsPngs() throws IOException {
    assertThat(Charts.headless()).as("java.awt.headless").isTrue();
    decode(
        Charts.lines(
            "lines",
            "step",
            "fraction",
            List.of(
                new Charts.Line("a", new double[] {1, 2, 3}, new double[] {1, 0.5, 0}),
                new Charts.Line(
                    "b with a gap", new double[] {1, 2, 3}, new double[] {0.9, Double.NaN, 0.8}))));
    decode(
        Charts.spreads(
            "spread",
            "k",
            "test accuracy",
            List.of(
                new Charts.Spread(
                    "l2ul lethe",
                    new double[] {8, 32, 128},
                    new double[] {0.9, 0.88, 0.85},
                    new double[] {0.89, 0.87, 0.85},
                    new double[] {0.91, 0.89, 0.85})),
            true));
    decode(
        ReportCharts.lossHistograms(
            LossHistograms.of(
                "test set",
                new double[] {0.1, 0.2},
                new double[] {2, 3},
                new double[] {0.1, 0.5, 1},
                new double[] {0.1, 0.6, 1}),
            true));
  }

  @Test
  void aTrajectoryChartDrawsTheScoreAndHeldOutAccuracy() throws IOException {
    Trajectory t = new Trajectory(10, 2);
    for (int step = 1; step <= 7; step++) {
      t.add(step, 1.0 / step, 1 - step / 7.0, t.wantsHeldOut(step) ? 0.9 : Double.NaN);
      if (t.wantsHeldOut(step)) {
        t.measured(0.01);
      }
    }
    t.finish(0.88);
    BufferedImage image = decode(ReportCharts.trajectory(t));
    assertThat(image.getWidth()).isEqualTo(Charts.WIDTH);
  }
}
