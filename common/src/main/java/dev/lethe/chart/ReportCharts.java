package dev.lethe.chart;

import dev.lethe.unlearn.Trajectory;
import java.util.ArrayList;
import java.util.List;

/**
 * The charts of one unlearning run, as a version's report.html shows them and docs/charts copies
 * them: the fine-tune's trajectory and the loss histograms before and after.
 */
public final class ReportCharts {

  private ReportCharts() {}

  /**
   * The stop rule's number (forget accuracy for goal misclassify) and, when measured, held-out
   * accuracy against fine-tune steps, as PNG.
   */
  public static byte[] trajectory(Trajectory t) {
    return trajectory(t.score(), t.points());
  }

  /**
   * The chart of {@link #trajectory(Trajectory)} from its parts: what the score is and the points
   * (as a report.html carries them); the held-out line when any point has held-out accuracy.
   */
  public static byte[] trajectory(String score, List<Trajectory.Point> points) {
    double[] steps = new double[points.size()];
    double[] scores = new double[points.size()];
    double[] heldOut = new double[points.size()];
    boolean anyHeldOut = false;
    for (int i = 0; i < steps.length; i++) {
      steps[i] = points.get(i).step();
      scores[i] = points.get(i).forgetScore();
      heldOut[i] = points.get(i).heldOutAccuracy();
      anyHeldOut |= Double.isFinite(heldOut[i]);
    }
    List<Charts.Line> lines = new ArrayList<>();
    lines.add(new Charts.Line(score, steps, scores));
    if (anyHeldOut) {
      lines.add(
          new Charts.Line(
              "held-out accuracy (not test accuracy; at most "
                  + Trajectory.HELD_OUT_IMAGES
                  + " images)",
              steps,
              heldOut));
    }
    return Charts.lines(
        "Fine-tune: " + score + " against steps",
        "fine-tune step",
        score.startsWith("median-loss gap") ? "value" : "fraction",
        lines);
  }

  /** The loss histograms of the forget set and the non-members, before or after, as PNG. */
  public static byte[] lossHistograms(LossHistograms h, boolean after) {
    return Charts.histograms(
        "Per-sample loss " + (after ? "after" : "before") + " unlearning (what the MIA sees)",
        "cross-entropy loss",
        List.of(
            new Charts.Bars("forget set", after ? h.forgetAfter() : h.forgetBefore()),
            new Charts.Bars(
                "non-members: " + h.nonMembers(),
                after ? h.nonMembersAfter() : h.nonMembersBefore())));
  }
}
