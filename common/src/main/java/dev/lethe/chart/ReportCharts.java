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
    List<Trajectory.Point> points = t.points();
    double[] steps = new double[points.size()];
    double[] score = new double[points.size()];
    double[] heldOut = new double[points.size()];
    for (int i = 0; i < steps.length; i++) {
      steps[i] = points.get(i).step();
      score[i] = points.get(i).forgetScore();
      heldOut[i] = points.get(i).heldOutAccuracy();
    }
    List<Charts.Line> lines = new ArrayList<>();
    lines.add(new Charts.Line(t.score(), steps, score));
    if (t.heldOutMeasures() > 0) {
      lines.add(
          new Charts.Line(
              "held-out accuracy (not test accuracy; at most "
                  + Trajectory.HELD_OUT_IMAGES
                  + " images)",
              steps,
              heldOut));
    }
    return Charts.lines(
        "Fine-tune: " + t.score() + " against steps",
        "fine-tune step",
        t.score().startsWith("median-loss gap") ? "value" : "fraction",
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
