package dev.lethe.unlearn;

import dev.lethe.importance.MasMode;
import java.util.List;
import java.util.Locale;

/**
 * The tuning values of the unlearning loop (ALGORITHM.md section 4). Two presets: {@link #paper()}
 * is the authors' code, kept for comparison; {@link #defaults()} is what Lethe measured to forget
 * at a far smaller cost in test accuracy (docs/DEFAULTS.md has the evidence). Each field's key,
 * default per preset and goal, range and doc are a row of the {@link TuningTable}, which builds the
 * presets and validates every instance.
 *
 * @param forgetLoss how the forget set is pushed away from its labels
 * @param margin for {@link ForgetLoss#MARGIN}: the logit gap past the boundary at which an instance
 *     stops contributing
 * @param adversarialLoss how the adversarial set keeps the decision boundary
 * @param batchNorm whether BatchNorm uses batch statistics (and updates its running statistics)
 *     during the fine-tune, or stays frozen in eval mode
 * @param learningRate SGD step size
 * @param momentum SGD momentum
 * @param weightDecay SGD weight decay (L2 on the weights, added to the gradient)
 * @param forgetBatch forget instances per step (the whole forget set when it is smaller; cycled)
 * @param unforgottenFirst when the forget set (or a stage's prefix) is larger than {@code
 *     forgetBatch}: each forget batch starts with the instances not yet forgotten at the last
 *     evaluation (taken in turn when there are more than a batch), and the cycle fills the rest
 * @param adversarialBatch adversarial examples (or retain samples) per step
 * @param lambda weight of the MAS anchor penalty
 * @param maxEpochs the cap; reaching it is a failure. One epoch is one pass over the adversarial
 *     set, or over the forget set for methods without one
 * @param masMode how MAS importance is computed
 * @param update which parameters the fine-tune may change: {@code all}, {@code weights} (tensors of
 *     two or more dimensions: no biases, no normalisation scales), {@code head} (the last weight
 *     tensor in module order and the tensors after it: the classifier layer), or a regular
 *     expression over parameter names
 * @param anchors shifted copies of each forget image (1-2 pixels, edges repeated) added to the
 *     boundary set with the original model's outputs as their targets: they keep the concept while
 *     the instance is forgotten (0: none, the paper)
 * @param forgetWeight weight of the forget term against the boundary term in the step's mean (1:
 *     the paper, where 16 forget instances weigh 16/272 of a step)
 * @param separateBatches run the forget batch and the boundary batch through the model in two
 *     forward passes (train-mode BatchNorm then normalises each with its own statistics) instead of
 *     one concatenated batch
 * @param escalate patience, in steps: when the number of instances still remembered has not fallen
 *     for this many steps, the forget term's weight doubles (0: never, the paper). The bounded
 *     margin loss pulls only the instances not yet forgotten, so this strengthens exactly the last,
 *     stubborn ones, which the boundary and anchor terms otherwise hold in place
 * @param escalateMax the highest weight escalation may give the forget term (0: no limit). When the
 *     instances still remembered stop falling at this weight, the fine-tune fails instead of
 *     doubling again: past it, the forget term was seen to collapse the model (docs/DEFAULTS.md)
 * @param heldOutBatch held-out images per step held at the original model's outputs by the
 *     distillation term, when the run has a held-out sample (0: none, the paper). Their labels are
 *     not used: any unlabelled images like the model's inputs would do. They keep the model's
 *     behaviour away from the forgotten instances, where the adversarial examples and anchors do
 *     not reach. Only with {@link AdversarialLoss#DISTILL} and a method that uses adversarial
 *     examples
 * @param standIns when the run has no held-out sample: how many synthetic images, each a mixture of
 *     two different forget images, shifted by up to two pixels, stand in for one (0: none, the
 *     paper). They are held like held-out images ({@code heldOutBatch} per step) and need no data
 *     beyond the forget set; they are not used for anything else (not membership inference, not the
 *     goal unseen's stop rule, not calibration). Needs at least two forget instances
 * @param standInPairs which two forget images a stand-in mixes: any two, or two of the same class
 *     (the forget set's labels; an image whose class has no other instance in the forget set is
 *     mixed with any other)
 * @param split goal misclassify (or a target): a request larger than this many instances is
 *     forgotten in chained stages, each of this many more instances than the last, in request
 *     order; a stage fine-tunes from the previous stage's weights with the forget weight and the
 *     escalation reset, and stops when every instance of its prefix is forgotten, so that the last
 *     stage's stop rule covers the whole request (0: one fine-tune for the whole request, the
 *     paper). As a chain of requests in a sweep does, but inside one run and one published version
 *     (docs/DEFAULTS.md)
 * @param salunFraction method salun: the fraction of the updated parameters' entries that its
 *     saliency mask lets move (the largest |gradient| of the forget loss, one threshold over all of
 *     them); the others stay at the original values ({@link SalUn})
 * @param scrub method scrub's temperature, weights and max-step epochs ({@link Scrub.Settings})
 */
public record UnlearnSettings(
    ForgetLoss forgetLoss,
    float margin,
    AdversarialLoss adversarialLoss,
    BatchNormMode batchNorm,
    float learningRate,
    float momentum,
    float weightDecay,
    int forgetBatch,
    boolean unforgottenFirst,
    int adversarialBatch,
    float lambda,
    int maxEpochs,
    MasMode masMode,
    String update,
    int anchors,
    float forgetWeight,
    boolean separateBatches,
    int escalate,
    float escalateMax,
    int heldOutBatch,
    int standIns,
    StandInPairs standInPairs,
    int split,
    float salunFraction,
    Scrub.Settings scrub) {

  /** The unlearning loss on the forget set. */
  public enum ForgetLoss {
    /** -CE(x_f, y_f) (untargeted) or CE(x_f, y*) (targeted): the paper's, unbounded. */
    CROSS_ENTROPY,
    /**
     * max(0, z_y - max_{j != y} z_j + margin) (untargeted) or max(0, max_{j != y*} z_j - z_{y*} +
     * margin) (targeted): bounded, each instance stops pulling once it is past the boundary.
     */
    MARGIN
  }

  /** The boundary-keeping term on the adversarial examples. */
  public enum AdversarialLoss {
    /** CE toward each example's adversarial class t (the paper's). */
    HARD_LABEL,
    /**
     * KL divergence from the original model's softmax on each adversarial example: keeps the whole
     * output distribution of the original model near each forgotten instance.
     */
    DISTILL
  }

  /** Which two forget images a stand-in mixes ({@link #standInPairs()}). */
  public enum StandInPairs {
    /** Any two different forget images. */
    ANY,
    /** Two different forget images of the same class, where the class has two or more. */
    SAME_CLASS
  }

  /** BatchNorm during the fine-tune. */
  public enum BatchNormMode {
    /** Batch statistics; running statistics updated (the authors' behaviour). */
    TRAIN,
    /** Eval mode: running statistics used and kept. */
    FROZEN
  }

  /**
   * Settings with every value checked against its key's range in the {@link TuningTable} (the
   * fields are assigned first, so that the table reads them as it reads any settings).
   *
   * @throws IllegalArgumentException "Cannot use unlearning setting NAME: why" for the first value
   *     out of range
   */
  public UnlearnSettings(
      ForgetLoss forgetLoss,
      float margin,
      AdversarialLoss adversarialLoss,
      BatchNormMode batchNorm,
      float learningRate,
      float momentum,
      float weightDecay,
      int forgetBatch,
      boolean unforgottenFirst,
      int adversarialBatch,
      float lambda,
      int maxEpochs,
      MasMode masMode,
      String update,
      int anchors,
      float forgetWeight,
      boolean separateBatches,
      int escalate,
      float escalateMax,
      int heldOutBatch,
      int standIns,
      StandInPairs standInPairs,
      int split,
      float salunFraction,
      Scrub.Settings scrub) {
    this.forgetLoss = forgetLoss;
    this.margin = margin;
    this.adversarialLoss = adversarialLoss;
    this.batchNorm = batchNorm;
    this.learningRate = learningRate;
    this.momentum = momentum;
    this.weightDecay = weightDecay;
    this.forgetBatch = forgetBatch;
    this.unforgottenFirst = unforgottenFirst;
    this.adversarialBatch = adversarialBatch;
    this.lambda = lambda;
    this.maxEpochs = maxEpochs;
    this.masMode = masMode;
    this.update = update;
    this.anchors = anchors;
    this.forgetWeight = forgetWeight;
    this.separateBatches = separateBatches;
    this.escalate = escalate;
    this.escalateMax = escalateMax;
    this.heldOutBatch = heldOutBatch;
    this.standIns = standIns;
    this.standInPairs = standInPairs;
    this.split = split;
    this.salunFraction = salunFraction;
    this.scrub = scrub;
    TuningTable.validate(this);
  }

  /**
   * The instances per stage of a chained fine-tune of {@code k} instances toward {@code goal}
   * ({@link #split()}, ALGORITHM.md section 4.11): the whole request when it is no larger than the
   * split, when the split is 0, and for goal unseen (which judges the forget set as a whole).
   */
  public int stageSize(Goal goal, int k) {
    return goal == Goal.UNSEEN || split == 0 || split >= k ? k : split;
  }

  /** The chained stages a fine-tune of {@code k} instances toward {@code goal} runs in (1: one). */
  public int stages(Goal goal, int k) {
    return k == 0 ? 1 : (k + stageSize(goal, k) - 1) / stageSize(goal, k);
  }

  /** The authors' settings (ALGORITHM.md section 4), preset name {@code paper}. */
  public static UnlearnSettings paper() {
    return TuningTable.preset(TuningTable.Preset.PAPER, Goal.MISCLASSIFY);
  }

  /**
   * Lethe's defaults for goal misclassify, preset name {@code lethe}: see docs/DEFAULTS.md for the
   * measurements. {@link #defaults(Goal)} gives them for either goal.
   */
  public static UnlearnSettings defaults() {
    return defaults(Goal.MISCLASSIFY);
  }

  /**
   * Lethe's defaults for a goal, from the {@link TuningTable}: for unseen the same as for
   * misclassify without momentum and with 512 held-out images per step. Goal unseen stops after a
   * few steps, at the first one where the forget set's losses look held-out: momentum would carry
   * each step's push into the next and overshoot that point, and the held-out images keep the
   * held-out losses, the line it aims at, from rising with it (docs/DEFAULTS.md).
   */
  public static UnlearnSettings defaults(Goal goal) {
    return TuningTable.preset(TuningTable.Preset.LETHE, goal);
  }

  /**
   * The settings preset {@code calibrate} tries: Lethe's defaults for the goal (BatchNorm frozen,
   * shifted anchors) and the same with BatchNorm in train mode and no anchors, the better kept by
   * the calibration's score. docs/DEFAULTS.md has the evidence for and against.
   */
  public static List<UnlearnSettings> defaultCandidates(Goal goal) {
    UnlearnSettings d = defaults(goal);
    return List.of(d, d.toBuilder().batchNorm(BatchNormMode.TRAIN).anchors(0).build());
  }

  /**
   * The candidate settings of a preset for a goal: one for {@code lethe} (the default) and {@code
   * paper}, the {@link #defaultCandidates(Goal)} for {@code calibrate}.
   */
  public static List<UnlearnSettings> presetCandidates(String name, Goal goal) {
    return presetCandidates(name, goal, Method.L2UL);
  }

  /**
   * The candidate settings of a preset for a goal and a method: as {@link #presetCandidates(String,
   * Goal)}, with preset {@code paper} the method's authors' values ({@link TuningTable#preset(
   * TuningTable.Preset, Goal, Method)}).
   */
  public static List<UnlearnSettings> presetCandidates(String name, Goal goal, Method method) {
    if (name.toLowerCase(Locale.ROOT).equals("calibrate")) {
      return defaultCandidates(goal);
    }
    return List.of(TuningTable.preset(TuningTable.Preset.parse(name), goal, method));
  }

  /** A preset by name for a goal: {@code lethe} ({@link #defaults(Goal)}) or {@code paper}. */
  public static UnlearnSettings preset(String name, Goal goal) {
    return TuningTable.preset(TuningTable.Preset.parse(name), goal);
  }

  /**
   * A builder with nothing set, for the {@link TuningTable} to fill in; start from a preset's
   * {@link #toBuilder()} instead to change a few settings.
   */
  static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these settings. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * Changes some settings of a preset: {@code paper().toBuilder().learningRate(1e-4f).build()}. One
   * named setter per field; {@link TuningTable} sets every field of a preset through them.
   */
  public static final class Builder {
    private ForgetLoss forgetLoss;
    private float margin;
    private AdversarialLoss adversarialLoss;
    private BatchNormMode batchNorm;
    private float learningRate;
    private float momentum;
    private float weightDecay;
    private int forgetBatch;
    private boolean unforgottenFirst;
    private int adversarialBatch;
    private float lambda;
    private int maxEpochs;
    private MasMode masMode;
    private String update;
    private int anchors;
    private float forgetWeight;
    private boolean separateBatches;
    private int escalate;
    private float escalateMax;
    private int heldOutBatch;
    private int standIns;
    private StandInPairs standInPairs;
    private int split;
    private float salunFraction;
    private Scrub.Settings scrub = Scrub.Settings.AUTHORS;

    private Builder() {}

    private Builder(UnlearnSettings from) {
      forgetLoss = from.forgetLoss();
      margin = from.margin();
      adversarialLoss = from.adversarialLoss();
      batchNorm = from.batchNorm();
      learningRate = from.learningRate();
      momentum = from.momentum();
      weightDecay = from.weightDecay();
      forgetBatch = from.forgetBatch();
      unforgottenFirst = from.unforgottenFirst();
      adversarialBatch = from.adversarialBatch();
      lambda = from.lambda();
      maxEpochs = from.maxEpochs();
      masMode = from.masMode();
      update = from.update();
      anchors = from.anchors();
      forgetWeight = from.forgetWeight();
      separateBatches = from.separateBatches();
      escalate = from.escalate();
      escalateMax = from.escalateMax();
      heldOutBatch = from.heldOutBatch();
      standIns = from.standIns();
      standInPairs = from.standInPairs();
      split = from.split();
      salunFraction = from.salunFraction();
      scrub = from.scrub();
    }

    /** The settings; validated, so a bad value fails here with its name. */
    public UnlearnSettings build() {
      return new UnlearnSettings(
          forgetLoss,
          margin,
          adversarialLoss,
          batchNorm,
          learningRate,
          momentum,
          weightDecay,
          forgetBatch,
          unforgottenFirst,
          adversarialBatch,
          lambda,
          maxEpochs,
          masMode,
          update,
          anchors,
          forgetWeight,
          separateBatches,
          escalate,
          escalateMax,
          heldOutBatch,
          standIns,
          standInPairs,
          split,
          salunFraction,
          scrub);
    }

    public Builder forgetLoss(ForgetLoss v) {
      forgetLoss = v;
      return this;
    }

    public Builder margin(float v) {
      margin = v;
      return this;
    }

    public Builder adversarialLoss(AdversarialLoss v) {
      adversarialLoss = v;
      return this;
    }

    public Builder batchNorm(BatchNormMode v) {
      batchNorm = v;
      return this;
    }

    public Builder learningRate(float v) {
      learningRate = v;
      return this;
    }

    public Builder momentum(float v) {
      momentum = v;
      return this;
    }

    public Builder weightDecay(float v) {
      weightDecay = v;
      return this;
    }

    public Builder forgetBatch(int v) {
      forgetBatch = v;
      return this;
    }

    public Builder unforgottenFirst(boolean v) {
      unforgottenFirst = v;
      return this;
    }

    public Builder adversarialBatch(int v) {
      adversarialBatch = v;
      return this;
    }

    public Builder lambda(float v) {
      lambda = v;
      return this;
    }

    public Builder maxEpochs(int v) {
      maxEpochs = v;
      return this;
    }

    public Builder masMode(MasMode v) {
      masMode = v;
      return this;
    }

    public Builder update(String v) {
      update = v;
      return this;
    }

    public Builder anchors(int v) {
      anchors = v;
      return this;
    }

    public Builder forgetWeight(float v) {
      forgetWeight = v;
      return this;
    }

    public Builder separateBatches(boolean v) {
      separateBatches = v;
      return this;
    }

    public Builder escalate(int v) {
      escalate = v;
      return this;
    }

    public Builder escalateMax(float v) {
      escalateMax = v;
      return this;
    }

    public Builder heldOutBatch(int v) {
      heldOutBatch = v;
      return this;
    }

    public Builder standIns(int v) {
      standIns = v;
      return this;
    }

    public Builder standInPairs(StandInPairs v) {
      standInPairs = v;
      return this;
    }

    public Builder split(int v) {
      split = v;
      return this;
    }

    public Builder salunFraction(float v) {
      salunFraction = v;
      return this;
    }

    Builder scrub(Scrub.Settings v) {
      scrub = v;
      return this;
    }

    Scrub.Settings scrub() {
      return scrub;
    }
  }
}
