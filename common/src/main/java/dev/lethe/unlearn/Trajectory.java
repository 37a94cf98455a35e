package dev.lethe.unlearn;

import java.util.ArrayList;
import java.util.List;

/**
 * What a fine-tune did step by step, bounded in size: per recorded step the objective's loss, the
 * number the stop rule watches (forget accuracy, or the share not yet on target, or for goal unseen
 * the median-loss gap) and, when the run has a held-out sample, the accuracy on (at most {@link
 * #HELD_OUT_IMAGES} of) its images every {@link #heldOutEvery} steps, else NaN. This is held-out
 * accuracy, not test accuracy. At most {@link #MAX_POINTS} points are kept: when full, every other
 * one goes and the stride doubles; the last step is always kept. Filled by {@link
 * Unlearning#optTrajectory}; not thread-safe.
 */
public final class Trajectory {

  /** The most points kept. */
  public static final int MAX_POINTS = 400;

  /** The most held-out images a held-out accuracy is measured on. */
  public static final int HELD_OUT_IMAGES = 512;

  /** One recorded step; {@code heldOutAccuracy} NaN when not measured at that step. */
  public record Point(int step, double loss, double forgetScore, double heldOutAccuracy) {}

  private final int maxPoints;
  private final int heldOutEvery;
  private final List<Point> points = new ArrayList<>();
  private int stride = 1;
  private Point last;
  private int heldOutMeasures;
  private double heldOutSeconds;
  private String score = "forget accuracy";

  /**
   * Every how many steps held-out accuracy is measured by default. On the demo run (ResNet-18 width
   * 16, 512 held-out images) one measurement took about half a fine-tune step's time (3.7 s against
   * 7.5 s, 2 loaded cores): every 10 steps added 4.7 % to the fine-tune, every 20 about 2.5 %
   * (docs/BENCHMARKS.md, "Charts").
   */
  public static final int DEFAULT_HELD_OUT_EVERY = 20;

  /**
   * Up to {@link #MAX_POINTS} points, held-out accuracy every {@link #DEFAULT_HELD_OUT_EVERY}
   * steps.
   */
  public Trajectory() {
    this(MAX_POINTS, DEFAULT_HELD_OUT_EVERY);
  }

  /**
   * @param maxPoints the most points kept (2 or more)
   * @param heldOutEvery measure held-out accuracy every this many steps (1 or more)
   */
  public Trajectory(int maxPoints, int heldOutEvery) {
    if (maxPoints < 2 || heldOutEvery < 1) {
      throw new IllegalArgumentException(
          "Cannot record a trajectory of "
              + maxPoints
              + " points with held-out accuracy every "
              + heldOutEvery
              + " steps: give 2 or more points and 1 or more steps");
    }
    this.maxPoints = maxPoints;
    this.heldOutEvery = heldOutEvery;
  }

  /**
   * Every how many steps held-out accuracy is measured now: the given interval, or the least
   * multiple of it and the stride once thinning raised the stride.
   */
  public int heldOutEvery() {
    return heldOutEvery / gcd(heldOutEvery, stride) * stride;
  }

  private static int gcd(int a, int b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  /** Whether step {@code step} is kept, and so whether to measure held-out accuracy at it. */
  public boolean keeps(int step) {
    return step % stride == 0;
  }

  /** Whether to measure held-out accuracy at {@code step}. */
  public boolean wantsHeldOut(int step) {
    return keeps(step) && step % heldOutEvery() == 0;
  }

  /** Records one step (NaN held-out accuracy when not measured). */
  public void add(int step, double loss, double forgetScore, double heldOutAccuracy) {
    Point p = new Point(step, loss, forgetScore, heldOutAccuracy);
    last = p;
    if (!keeps(step)) {
      return;
    }
    points.add(p);
    if (points.size() > maxPoints) {
      stride *= 2;
      points.removeIf(q -> q.step() % stride != 0);
    }
  }

  /** Sets the held-out accuracy of the last step (measured after the fine-tune). */
  public void finish(double heldOutAccuracy) {
    if (last == null) {
      return;
    }
    Point done = new Point(last.step(), last.loss(), last.forgetScore(), heldOutAccuracy);
    if (!points.isEmpty() && points.get(points.size() - 1).step() == last.step()) {
      points.set(points.size() - 1, done);
    }
    last = done;
  }

  /** Counts one held-out measurement and its seconds (the cost this recording added). */
  public void measured(double seconds) {
    heldOutMeasures++;
    heldOutSeconds += seconds;
  }

  /** How many held-out measurements were made. */
  public int heldOutMeasures() {
    return heldOutMeasures;
  }

  /** Seconds the held-out measurements took. */
  public double heldOutSeconds() {
    return heldOutSeconds;
  }

  /** What {@link Point#forgetScore} is (the stop rule's number for this run's goal). */
  public String score() {
    return score;
  }

  /** Names what {@link Point#forgetScore} is. */
  public void score(String value) {
    this.score = value;
  }

  /** The kept points in step order, the last step included. */
  public List<Point> points() {
    List<Point> out = new ArrayList<>(points);
    if (last != null && (out.isEmpty() || out.get(out.size() - 1).step() != last.step())) {
      out.add(last);
    }
    return out;
  }

  /** The step of the last point, 0 when none was recorded. */
  public int lastStep() {
    return last == null ? 0 : last.step();
  }
}
