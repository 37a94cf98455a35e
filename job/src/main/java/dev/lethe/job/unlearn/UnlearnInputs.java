package dev.lethe.job.unlearn;

import dev.lethe.data.Sample;
import dev.lethe.model.ModelSpec;
import dev.lethe.model.SpecResolver;
import java.util.List;

/**
 * The inputs of a run after validation: the model's spec (and the options it was resolved with),
 * the forget set and the optional held-out and retain samples on the driver, and the optional test
 * set left on the executors ({@link TestData}, null when there is none), each checked against the
 * spec. {@code heldOutFromTest}: the held-out sample was drawn from the test data (asked for, or
 * drawn by {@link InputReader} on its own), and the test data is what is left. {@code
 * retainFromForget}: the retain sample was drawn from the forget data's rows that are not forgotten
 * (asked for, or drawn on the reader's own).
 */
public record UnlearnInputs(
    SpecResolver.Partial options,
    ModelSpec spec,
    List<Sample> forget,
    TestData test,
    List<Sample> heldOut,
    List<Sample> retain,
    boolean heldOutFromTest,
    boolean retainFromForget) {

  /** Where the held-out sample came from: the test data it was drawn from, else its own data. */
  public String heldOutUri(UnlearnRequest request) {
    return heldOutFromTest ? request.test() : request.heldOut();
  }

  /** Where the retain sample came from: the forget data it was drawn from, else its own data. */
  public String retainUri(UnlearnRequest request) {
    return retainFromForget ? request.forget() : request.retain();
  }

  /** How many test samples there are; 0 without test data. */
  public long testSize() {
    return test == null ? 0 : test.size();
  }
}
