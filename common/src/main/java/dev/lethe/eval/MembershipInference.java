package dev.lethe.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A loss-based membership-inference attack (ALGORITHM.md section 6): a logistic regression on the
 * per-sample cross-entropy separates the forget set (members, label 1) from an equal-size held-out
 * sample (non-members, label 0); its stratified k-fold cross-validated accuracy and AUC say how
 * easy the forgotten instances are to spot. 0.5 is chance.
 *
 * <p>One feature and two coefficients do not justify a statistics dependency: the only permissive
 * Java library with logistic regression (Smile) is GPL-3.0 since version 2, and Commons Math has
 * none; so the fit is a plain Newton-Raphson (IRLS) on standardised losses, and the AUC is the
 * Mann-Whitney statistic with ties counted as one half.
 */
public final class MembershipInference {

  /** Cross-validated attack quality; {@code folds} is the number actually used. */
  public record Result(double accuracy, double auc, int members, int nonMembers, int folds) {}

  private MembershipInference() {}

  /**
   * Runs the attack. The larger group is subsampled (seeded) to the size of the smaller one, so the
   * two classes are balanced and 0.5 is chance.
   *
   * @param memberLosses per-sample cross-entropy of the forget set
   * @param nonMemberLosses per-sample cross-entropy of data the model never saw
   * @param folds requested folds (5); fewer when a class has fewer samples
   * @param seed shuffling seed
   */
  public static Result attack(
      double[] memberLosses, double[] nonMemberLosses, int folds, long seed) {
    if (memberLosses.length < 2 || nonMemberLosses.length < 2) {
      throw new IllegalArgumentException(
          "Cannot run the membership-inference attack: it needs at least 2 members and 2"
              + " non-members, got "
              + memberLosses.length
              + " and "
              + nonMemberLosses.length
              + "; give a larger held-out sample");
    }
    SplittableRandom rng = new SplittableRandom(seed);
    int n = Math.min(memberLosses.length, nonMemberLosses.length);
    double[] members = sample(memberLosses, n, rng);
    double[] others = sample(nonMemberLosses, n, rng);
    int k = Math.max(2, Math.min(folds, n));
    int[] memberFold = foldsOf(n, k, rng);
    int[] otherFold = foldsOf(n, k, rng);
    double accSum = 0;
    double aucSum = 0;
    for (int f = 0; f < k; f++) {
      List<double[]> train = new ArrayList<>();
      List<double[]> test = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        (memberFold[i] == f ? test : train).add(new double[] {members[i], 1});
        (otherFold[i] == f ? test : train).add(new double[] {others[i], 0});
      }
      double[] model = fit(train);
      int correct = 0;
      double[] scores = new double[test.size()];
      int[] labels = new int[test.size()];
      for (int i = 0; i < test.size(); i++) {
        double p = predict(model, test.get(i)[0]);
        scores[i] = p;
        labels[i] = (int) test.get(i)[1];
        if ((p >= 0.5) == (labels[i] == 1)) {
          correct++;
        }
      }
      accSum += correct / (double) test.size();
      aucSum += auc(scores, labels);
    }
    return new Result(accSum / k, aucSum / k, n, n, k);
  }

  /** Area under the ROC curve of {@code scores} for the positive labels (1), ties count 1/2. */
  public static double auc(double[] scores, int[] labels) {
    long pos = Arrays.stream(labels).filter(l -> l == 1).count();
    long neg = labels.length - pos;
    if (pos == 0 || neg == 0) {
      return 0.5;
    }
    double wins = 0;
    for (int i = 0; i < scores.length; i++) {
      if (labels[i] != 1) {
        continue;
      }
      for (int j = 0; j < scores.length; j++) {
        if (labels[j] == 1) {
          continue;
        }
        if (scores[i] > scores[j]) {
          wins += 1;
        } else if (scores[i] == scores[j]) {
          wins += 0.5;
        }
      }
    }
    return wins / (pos * (double) neg);
  }

  private static double[] sample(double[] values, int n, SplittableRandom rng) {
    double[] copy = values.clone();
    for (int i = copy.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      double t = copy[i];
      copy[i] = copy[j];
      copy[j] = t;
    }
    return Arrays.copyOf(copy, n);
  }

  private static int[] foldsOf(int n, int k, SplittableRandom rng) {
    int[] fold = new int[n];
    for (int i = 0; i < n; i++) {
      fold[i] = i % k;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = fold[i];
      fold[i] = fold[j];
      fold[j] = t;
    }
    return fold;
  }

  /** Fits p(member | loss) = sigmoid(b0 + b1 * (loss - mu) / sd); returns {b0, b1, mu, sd}. */
  static double[] fit(List<double[]> rows) {
    double mu = rows.stream().mapToDouble(r -> r[0]).average().orElse(0);
    double var = rows.stream().mapToDouble(r -> (r[0] - mu) * (r[0] - mu)).average().orElse(0);
    double sd = var > 1e-24 ? Math.sqrt(var) : 1;
    double b0 = 0;
    double b1 = 0;
    // A small ridge term keeps Newton finite when the classes separate perfectly.
    double ridge = 1e-4;
    for (int it = 0; it < 50; it++) {
      double g0 = 0;
      double g1 = 0;
      double h00 = ridge;
      double h01 = 0;
      double h11 = ridge;
      for (double[] r : rows) {
        double z = (r[0] - mu) / sd;
        double p = sigmoid(b0 + b1 * z);
        double w = p * (1 - p);
        g0 += r[1] - p;
        g1 += (r[1] - p) * z;
        h00 += w;
        h01 += w * z;
        h11 += w * z * z;
      }
      g1 -= ridge * b1;
      double det = h00 * h11 - h01 * h01;
      if (Math.abs(det) < 1e-300) {
        break;
      }
      double d0 = (h11 * g0 - h01 * g1) / det;
      double d1 = (h00 * g1 - h01 * g0) / det;
      b0 += d0;
      b1 += d1;
      if (Math.abs(d0) + Math.abs(d1) < 1e-10) {
        break;
      }
    }
    return new double[] {b0, b1, mu, sd};
  }

  private static double predict(double[] model, double loss) {
    return sigmoid(model[0] + model[1] * (loss - model[2]) / model[3]);
  }

  private static double sigmoid(double z) {
    return 1 / (1 + Math.exp(-z));
  }
}
