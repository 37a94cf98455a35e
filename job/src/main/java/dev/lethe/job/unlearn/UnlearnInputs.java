package dev.lethe.job.unlearn;

import dev.lethe.data.Sample;
import dev.lethe.model.ModelSpec;
import dev.lethe.model.SpecResolver;
import java.util.List;

/**
 * The inputs of a run after validation on the driver: the model's spec (and the options it was
 * resolved with), the forget set and the optional test, held-out and retain samples, each checked
 * against the spec. {@code heldOutFromTest} says the held-out sample was drawn from the test data.
 */
public record UnlearnInputs(
    SpecResolver.Partial options,
    ModelSpec spec,
    List<Sample> forget,
    List<Sample> test,
    List<Sample> heldOut,
    List<Sample> retain) {

  /**
   * The non-members of the membership-inference attack: the held-out sample if there is one, else
   * the test data.
   */
  public List<Sample> nonMembers() {
    return heldOut.isEmpty() ? test : heldOut;
  }
}
