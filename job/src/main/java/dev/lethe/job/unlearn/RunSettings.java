package dev.lethe.job.unlearn;

import dev.lethe.attack.PgdSettings;
import dev.lethe.data.ImageShape;
import dev.lethe.job.failure.UsageException;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.Method;
import dev.lethe.unlearn.TuningOptions;
import dev.lethe.unlearn.UnlearnSettings;
import dev.lethe.unlearn.Unlearning;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The settings of a run: the preset's candidate settings for the goal (one, or two for {@code
 * calibrate}) and the PGD settings, with the tuning options applied.
 */
public record RunSettings(List<UnlearnSettings> candidates, PgdSettings pgd) {

  /**
   * Resolves a preset ({@code null}: lethe) for a goal and applies the tuning options.
   *
   * @throws UsageException naming the preset or the tuning option that does not apply
   */
  public static RunSettings resolve(
      String preset, Goal goal, Map<String, String> tuning, ImageShape shape) {
    return resolve(preset, goal, Method.L2UL, tuning, shape);
  }

  /**
   * Resolves a preset ({@code null}: lethe) for a goal and a method (preset paper is the method's
   * authors' values) and applies the tuning options.
   *
   * @throws UsageException naming the preset or the tuning option that does not apply
   */
  public static RunSettings resolve(
      String preset, Goal goal, Method method, Map<String, String> tuning, ImageShape shape) {
    List<UnlearnSettings> bases;
    try {
      bases = UnlearnSettings.presetCandidates(preset == null ? "lethe" : preset, goal, method);
    } catch (IllegalArgumentException e) {
      throw new UsageException("Cannot run unlearn: option --preset: " + e.getMessage());
    }
    List<UnlearnSettings> out = new ArrayList<>();
    PgdSettings pgd = null;
    for (UnlearnSettings base : bases) {
      try {
        TuningOptions.Applied applied =
            TuningOptions.apply(base, PgdSettings.defaults(shape), tuning);
        out.add(applied.settings());
        pgd = applied.pgd();
      } catch (IllegalArgumentException e) {
        throw new UsageException("Cannot run unlearn: option --set: " + e.getMessage());
      }
      String problem = Unlearning.goalProblem(goal, out.get(out.size() - 1));
      if (problem != null) {
        throw new UsageException("Cannot run unlearn: option --set: cannot use " + problem);
      }
    }
    return new RunSettings(List.copyOf(new LinkedHashSet<>(out)), pgd);
  }

  /** These settings with the run's seed in the PGD settings. */
  public RunSettings withSeed(long seed) {
    return new RunSettings(candidates, pgd.withSeed(seed));
  }
}
