package dev.lethe.job.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lethe.job.requests.ErasureRequest;
import dev.lethe.job.requests.SubjectResolver;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link SweepPlan}: runs of at most N samples, a request whole in one run or chained. */
class SweepPlanTest {

  private static SubjectResolver.Resolved request(String id, int count) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ids.add(id + "/" + i);
    }
    return new SubjectResolver.Resolved(ErasureRequest.ofSamples(id, ids), ids);
  }

  @Test
  void packsRequestsWholeAndChainsOneLargerThanTheLimit() {
    List<SweepPlan.Run> runs =
        SweepPlan.of(
            List.of(request("a", 3), request("b", 4), request("c", 10), request("d", 2)), 8);
    assertThat(runs.stream().map(SweepPlan.Run::requestIds).toList())
        .as("a and b share a run, c is chained over two, d gets its own")
        .containsExactly(List.of("a", "b"), List.of("c"), List.of("c"), List.of("d"));
    assertThat(runs.stream().map(r -> r.sampleIds().size()).toList())
        .as("samples per run")
        .containsExactly(7, 8, 2, 2);
    assertThat(runs.get(1).parts().get(0).last()).as("c's first part is not its last").isFalse();
    assertThat(runs.get(2).parts().get(0).last()).as("c's second part is its last").isTrue();
    assertThat(Sweep.runId(runs.get(1)))
        .as("chained parts have their own run ids")
        .isNotEqualTo(Sweep.runId(runs.get(2)))
        .startsWith("sweep-");
    assertThat(Sweep.runId(SweepPlan.of(List.of(request("a", 3), request("b", 4)), 8).get(0)))
        .as("the same requests give the same run id (a restarted sweep finds its version)")
        .isEqualTo(Sweep.runId(runs.get(0)));
  }
}
