package dev.lethe.job.actions;

import dev.lethe.job.eval.Evaluation;
import java.util.Objects;
import org.apache.spark.sql.SparkSession;

/**
 * The job's actions on one Spark session, as a command line, a sweep or a test calls them:
 *
 * <pre>{@code
 * UnlearnAction.Result r = LetheActions.get(spark).unlearn().model(uri).forget(data)
 *     .output(out).execute();
 * Evaluation.Result e = LetheActions.get(spark).evaluate().model(uri).data(test).execute();
 * }</pre>
 */
public final class LetheActions {

  private final SparkSession spark;

  private LetheActions(SparkSession spark) {
    this.spark = Objects.requireNonNull(spark, "spark");
  }

  /** The actions on {@code spark}. */
  public static LetheActions get(SparkSession spark) {
    return new LetheActions(spark);
  }

  /** A new unlearning run. */
  public UnlearnAction unlearn() {
    return new UnlearnSparkAction(spark);
  }

  /** A new evaluation of a model's accuracy on labelled data. */
  public Evaluation evaluate() {
    return new Evaluation(spark);
  }
}
