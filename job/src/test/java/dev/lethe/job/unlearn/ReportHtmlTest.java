package dev.lethe.job.unlearn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.chart.LossHistograms;
import dev.lethe.unlearn.Trajectory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

public class ReportHtmlTest {

  /** A manifest whose user-supplied strings hold markup; request ids as given. */
  public static Manifest manifest(String... requestIds) {
    return new Manifest(
        Manifest.FORMAT,
        "run-1",
        "model",
        "20261201T000000Z-run-1",
        "naming",
        "2026-12-01T00:00:00Z",
        "2026-12-01T00:01:00Z",
        new Manifest.Parent("s3a://bucket/<b>parent</b>.pt", "ab".repeat(32)),
        new Manifest.Forget("file:/data/x&y\"z'.gz", 3, "cd".repeat(32), "how", null),
        List.of(requestIds),
        null,
        null,
        "l2ul",
        "misclassify",
        false,
        7,
        "lethe",
        null,
        null,
        null,
        null,
        null,
        "cpu()",
        null);
  }

  /** A report with forget and test accuracy and no membership-inference attack. */
  public static UnlearnReport report() {
    return new UnlearnReport(
        new UnlearnReport.Measured(
            "published",
            "l2ul",
            "misclassify",
            false,
            3,
            7,
            new UnlearnReport.Accuracy(1, 0, 3),
            new UnlearnReport.Accuracy(0.9, 0.88, 100),
            null,
            null,
            null,
            30,
            15,
            1,
            null,
            new UnlearnReport.StageSeconds(1, 2, 3, 4, 10),
            "cpu()",
            null),
        "run-1",
        "file:/out/model/v/model.pt",
        "ef".repeat(32),
        null,
        "20261201T000000Z-run-1",
        "s3a://bucket/<b>parent</b>.pt",
        "ab".repeat(32),
        "file:/out/model/v/manifest.json");
  }

  @Test
  void escapesEveryUserStringAndCarriesItsChartData() {
    Trajectory t = new Trajectory(Trajectory.MAX_POINTS, 10);
    for (int step = 1; step <= 12; step++) {
      t.add(step, 1.0 / step, 1 - step / 12.0, t.wantsHeldOut(step) ? 0.8 : Double.NaN);
    }
    LossHistograms losses =
        LossHistograms.of(
            "held-out sample",
            new double[] {0.01, 0.02, 0.03},
            new double[] {2, 3, 4},
            new double[] {0.1, 0.5, 1.5, 2},
            new double[] {0.1, 0.6, 1.4, Double.NaN});
    String page =
        new String(
            ReportHtml.render(manifest("<script>alert(1)</script>", "r-2"), report(), t, losses),
            StandardCharsets.UTF_8);
    assertThat(page)
        .contains("&lt;script&gt;alert(1)&lt;/script&gt;, r-2")
        .contains("s3a://bucket/&lt;b&gt;parent&lt;/b&gt;.pt")
        .contains("file:/data/x&amp;y&quot;z&#39;.gz")
        .doesNotContain("<script>", "<b>");
    assertThat(page).as("no membership-inference attack").contains("Not measured");
    ReportHtml.ChartData data = ReportHtml.read(page, "page");
    assertThat(data.score()).isEqualTo("forget accuracy");
    assertThat(data.trajectory()).hasSize(12);
    assertThat(data.trajectory().get(9).heldOutAccuracy()).isEqualTo(0.8);
    assertThat(data.trajectory().get(0).heldOutAccuracy()).isNaN();
    assertThat(data.losses()).isEqualTo(losses);
    assertThat(data.losses().nonMembersAfter().nan()).isOne();
  }
}
