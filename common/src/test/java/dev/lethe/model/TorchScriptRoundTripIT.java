package dev.lethe.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lethe.testing.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model Lethe saves loads in PyTorch itself with torch.jit.load, with exactly the weights Lethe
 * holds. Needs Debian's python3-torch for /usr/bin/python3 (mvn verify installs it through
 * deploy/bin/require-test-tools torch); a missing PyTorch fails this test rather than skipping it.
 */
class TorchScriptRoundTripIT {

  private static final String PYTHON = System.getProperty("lethe.python", "/usr/bin/python3");

  @TempDir Path tmp;

  @Test
  void savedModelLoadsInPyTorchWithIdenticalWeights() throws IOException, InterruptedException {
    Path saved = tmp.resolve("changed.pt");
    LinkedHashMap<String, float[]> expected;
    try (Classifier c = Classifier.load(Fixtures.cnn(), SpecResolver.Partial.empty("test"))) {
      LinkedHashMap<String, float[]> values = c.parameterValues();
      float[] w = values.get("fc.weight");
      for (int i = 0; i < w.length; i += 3) {
        w[i] = w[i] * 0.5f + 0.125f;
      }
      c.setParameterValues(Map.of("fc.weight", w));
      c.save(saved);
      expected = c.parameterValues();
    }
    String script =
        "import json, sys, torch\n"
            + "m = torch.jit.load(sys.argv[1])\n"
            + "print(json.dumps({n: p.detach().flatten().tolist()"
            + " for n, p in m.named_parameters()}))\n";
    Process p =
        new ProcessBuilder(PYTHON, "-c", script, saved.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("python finished").isTrue();
    assertThat(p.exitValue())
        .as("torch.jit.load in " + PYTHON + " (install Debian python3-torch)")
        .isZero();
    JsonNode loaded = new ObjectMapper().readTree(out);
    assertThat(loaded.size()).as("parameter count seen by PyTorch").isEqualTo(expected.size());
    expected.forEach(
        (name, values) ->
            assertThat(Fixtures.floats(loaded.get(name)))
                .as("PyTorch's " + name + " equals Lethe's exactly")
                .containsExactly(values));
  }
}
