package dev.lethe.unlearn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TrajectoryTest {

  @Test
  void keepsEveryStepWhileItFits() {
    Trajectory t = new Trajectory(10, 3);
    for (int step = 1; step <= 10; step++) {
      t.add(step, step, 1.0 / step, t.wantsHeldOut(step) ? 0.5 : Double.NaN);
    }
    assertThat(t.points())
        .extracting(Trajectory.Point::step)
        .containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    assertThat(t.points())
        .filteredOn(p -> !Double.isNaN(p.heldOutAccuracy()))
        .extracting(Trajectory.Point::step)
        .containsExactly(3, 6, 9);
  }

  @Test
  void aLongRunIsThinnedToAtMostMaxPointsAndKeepsItsLastStep() {
    Trajectory t = new Trajectory(100, 10);
    int measured = 0;
    for (int step = 1; step <= 100_001; step++) {
      boolean want = t.wantsHeldOut(step);
      measured += want ? 1 : 0;
      t.add(step, 0, 1, want ? 0.5 : Double.NaN);
    }
    List<Trajectory.Point> points = t.points();
    assertThat(points.size()).as("bounded").isBetween(50, 101);
    assertThat(points.get(points.size() - 1).step()).as("the last step kept").isEqualTo(100_001);
    assertThat(points).extracting(Trajectory.Point::step).isSorted().doesNotHaveDuplicates();
    assertThat(measured)
        .as("held-out measurements thin out with the points: bounded, not one every 10 steps")
        .isLessThan(2_000);
    assertThat(points)
        .filteredOn(p -> !Double.isNaN(p.heldOutAccuracy()))
        .as("measured points survive the thinning")
        .isNotEmpty();
  }

  @Test
  void finishSetsTheLastStepsHeldOutAccuracy() {
    Trajectory t = new Trajectory(4, 100);
    t.add(1, 2, 1, Double.NaN);
    t.add(2, 1, 0.5, Double.NaN);
    t.add(3, 0.5, 0, Double.NaN);
    t.finish(0.75);
    assertThat(t.points().get(t.points().size() - 1).heldOutAccuracy()).isEqualTo(0.75);
    assertThat(t.lastStep()).isEqualTo(3);
    assertThatThrownBy(() -> new Trajectory(1, 1))
        .hasMessageStartingWith("Cannot record a trajectory of 1 points");
  }
}
