package dev.lethe.unlearn;

import dev.lethe.eval.MembershipInference;

/**
 * Everything one unlearning run measured (ALGORITHM.md section 6). Accuracies are fractions in
 * [0,1]; a set that was not given has NaN accuracies; the membership-inference results are null
 * when no non-member sample was given. A run that hit the cap is a result with {@code succeeded()
 * == false} and the reason in {@code message}, not an exception. {@code settings} are those the
 * fine-tune ran with (the calibration's choice when there were candidates).
 */
public record UnlearningResult(
    UnlearnSettings settings,
    boolean succeeded,
    String message,
    Method method,
    Goal goal,
    boolean targeted,
    int k,
    long seed,
    Accuracy forget,
    Accuracy test,
    Accuracy retain,
    MembershipInference.Result miaBefore,
    MembershipInference.Result miaAfter,
    int steps,
    int epochs,
    int adversarialCount,
    double adversarialSuccessRate,
    Seconds seconds,
    String device) {

  /**
   * This result with the evaluation measured elsewhere (the Spark job's stage D runs it on the
   * executors): the given accuracies, membership-inference results and evaluation seconds, the
   * total grown by the evaluation's time.
   */
  public UnlearningResult withEvaluation(
      Accuracy forget,
      Accuracy test,
      Accuracy retain,
      MembershipInference.Result miaBefore,
      MembershipInference.Result miaAfter,
      double evaluateSeconds) {
    Seconds s =
        new Seconds(
            seconds.adversarial(),
            seconds.importance(),
            seconds.finetune(),
            evaluateSeconds,
            seconds.total() - seconds.evaluate() + evaluateSeconds);
    return new UnlearningResult(
        settings,
        succeeded,
        message,
        method,
        goal,
        targeted,
        k,
        seed,
        forget,
        test,
        retain,
        miaBefore,
        miaAfter,
        steps,
        epochs,
        adversarialCount,
        adversarialSuccessRate,
        s,
        device);
  }

  /**
   * The chained stages the fine-tune ran in: more than one when the request is larger than the
   * tuning key {@code split} ({@link UnlearnSettings#split()}), else 1.
   */
  public int stages() {
    return settings.stages(goal, k);
  }

  /** Accuracy of one sample set before and after unlearning (NaN when the set was not given). */
  public record Accuracy(double before, double after, int size) {
    /** A set that was not given. */
    public static Accuracy absent() {
      return new Accuracy(Double.NaN, Double.NaN, 0);
    }

    public boolean present() {
      return size > 0;
    }
  }

  /** Wall time of each phase. */
  public record Seconds(
      double adversarial, double importance, double finetune, double evaluate, double total) {}
}
