package dev.lethe.attack;

import dev.lethe.data.ImageShape;
import java.io.Serializable;
import java.util.Objects;

/**
 * Settings of the targeted PGD attack that makes the adversarial examples (ALGORITHM.md section 2).
 *
 * <p>With {@link Norm#L2} a step moves {@code stepSize} along the per-sample normalised gradient
 * and the perturbation is projected onto the L2 ball of radius {@code epsilon}; the defaults follow
 * the authors ({@link #defaults}). With {@link Norm#LINF} a step moves {@code stepSize} along the
 * sign of the gradient and the perturbation is clamped to [-epsilon, epsilon] per pixel; typical
 * values are epsilon 8/255 and stepSize 2/255 (not the defaults: set them with {@link #withEpsilon}
 * and {@link #withStepSize}).
 *
 * @param norm the threat model
 * @param epsilon radius of the perturbation ball, in pixel units ([0,1] images)
 * @param stepSize step length alpha
 * @param steps number of PGD steps S
 * @param perInstance examples per forget instance N_adv
 * @param seed run seed; each example's randomness comes from (seed, instance id, j)
 */
public record PgdSettings(
    Norm norm, float epsilon, float stepSize, int steps, int perInstance, long seed)
    implements Serializable {

  /** Default L2 radius for inputs smaller than 3x32x32 (the authors' value for 1x28x28). */
  public static final float EPSILON_SMALL_DEFAULT = 2.0f;

  /** Default L2 radius for inputs of 3x32x32 values or more (the authors' CIFAR value). */
  public static final float EPSILON_LARGE_DEFAULT = 4.0f;

  /** Default step size alpha. */
  public static final float STEP_SIZE_DEFAULT = 0.1f;

  /** Default number of steps S. */
  public static final int STEPS_DEFAULT = 100;

  /** Default number of examples per forget instance N_adv (the authors' CIFAR-10 value). */
  public static final int PER_INSTANCE_DEFAULT = 20;

  /** Default run seed. */
  public static final long SEED_DEFAULT = 0L;

  /** The threat model of the attack. */
  public enum Norm {
    /** L2 ball; normalised-gradient steps (the authors' attack, the default). */
    L2,
    /** L-infinity ball; sign-of-gradient steps. */
    LINF
  }

  public PgdSettings {
    Objects.requireNonNull(norm, "norm");
    if (!(epsilon > 0f) || !Float.isFinite(epsilon)) {
      throw new IllegalArgumentException(
          "Cannot use PGD epsilon " + epsilon + ": it must be a positive finite radius");
    }
    if (!(stepSize > 0f) || !Float.isFinite(stepSize)) {
      throw new IllegalArgumentException(
          "Cannot use PGD step size " + stepSize + ": it must be positive and finite");
    }
    if (steps <= 0) {
      throw new IllegalArgumentException(
          "Cannot use " + steps + " PGD steps: give at least 1 step");
    }
    if (perInstance <= 0) {
      throw new IllegalArgumentException(
          "Cannot make " + perInstance + " adversarial examples per instance: give at least 1");
    }
  }

  /**
   * The authors' L2 settings for images of {@code shape}: alpha 0.1, S 100, N_adv 20, seed 0, and
   * epsilon 4.0 for inputs of 3x32x32 values or more (CIFAR) and 2.0 for smaller ones (the value
   * for 1x28x28). Epsilon is a step function of the input size rather than a formula: the authors
   * only ever used these two radii, and a radius fitted to the pixel count would not be theirs.
   */
  public static PgdSettings defaults(ImageShape shape) {
    Objects.requireNonNull(shape, "shape");
    float eps = shape.size() >= 3 * 32 * 32 ? EPSILON_LARGE_DEFAULT : EPSILON_SMALL_DEFAULT;
    return new PgdSettings(
        Norm.L2, eps, STEP_SIZE_DEFAULT, STEPS_DEFAULT, PER_INSTANCE_DEFAULT, SEED_DEFAULT);
  }

  /** These settings with another threat model. */
  public PgdSettings withNorm(Norm value) {
    return new PgdSettings(value, epsilon, stepSize, steps, perInstance, seed);
  }

  /** These settings with another radius. */
  public PgdSettings withEpsilon(float value) {
    return new PgdSettings(norm, value, stepSize, steps, perInstance, seed);
  }

  /** These settings with another step size. */
  public PgdSettings withStepSize(float value) {
    return new PgdSettings(norm, epsilon, value, steps, perInstance, seed);
  }

  /** These settings with another number of steps. */
  public PgdSettings withSteps(int value) {
    return new PgdSettings(norm, epsilon, stepSize, value, perInstance, seed);
  }

  /** These settings with another number of examples per instance. */
  public PgdSettings withPerInstance(int value) {
    return new PgdSettings(norm, epsilon, stepSize, steps, value, seed);
  }

  /** These settings with another run seed. */
  public PgdSettings withSeed(long value) {
    return new PgdSettings(norm, epsilon, stepSize, steps, perInstance, value);
  }
}
