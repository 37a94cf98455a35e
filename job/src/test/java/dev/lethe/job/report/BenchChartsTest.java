package dev.lethe.job.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lethe.chart.LossHistograms;
import dev.lethe.job.unlearn.ReportHtml;
import dev.lethe.job.unlearn.ReportHtmlTest;
import dev.lethe.unlearn.Trajectory;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchChartsTest {

  @TempDir Path tmp;

  /** What one run printed and returned. */
  record Run(int code, JsonNode summary, String stderr) {}

  static Run run(String... args) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = BenchCharts.run(args, o, e);
    }
    String text = out.toString(StandardCharsets.UTF_8).strip();
    return new Run(
        code,
        text.isEmpty() ? null : JobJson.mapper().readTree(text),
        err.toString(StandardCharsets.UTF_8));
  }

  static String row(String method, int k, int seed, double testAfter, String status, String more) {
    return String.format(
        java.util.Locale.ROOT,
        "{\"status\":\"%s\",\"method\":\"%s\",\"goal\":\"misclassify\",\"k\":%d,\"seed\":%d,"
            + "\"test\":{\"accuracy_before\":0.91,\"accuracy_after\":%s,\"size\":9000},"
            + "\"preset\":\"lethe\",\"model\":\"m.pt\",\"overrides\":\"\"%s}",
        status,
        method,
        k,
        seed,
        testAfter,
        more);
  }

  static BufferedImage png(Path file) throws Exception {
    BufferedImage image = ImageIO.read(file.toFile());
    assertThat(image).as("%s decodes as PNG", file).isNotNull();
    assertThat(image.getWidth()).isGreaterThanOrEqualTo(600);
    return image;
  }

  @Test
  void drawsTheMeanAndSpreadOfTheMatchingRowsPerMethodAndK() throws Exception {
    Path results = tmp.resolve("results.jsonl");
    List<String> rows = new ArrayList<>();
    rows.add(row("l2ul", 16, 0, 0.80, "published", ""));
    rows.add(row("l2ul", 16, 1, 0.90, "published", ""));
    rows.add(row("l2ul", 64, 0, 0.60, "published", ""));
    rows.add(row("l2ul", 64, 1, 0.10, "failed", ""));
    rows.add(row("neggrad", 16, 0, 0.20, "published", ""));
    rows.add(row("l2ul", 16, 0, 0.50, "published", ",\"session\":\"other\""));
    rows.add(
        row("l2ul", 16, 0, 0.30, "published", "")
            .replace("\"overrides\":\"\"", "\"overrides\":\"x=1\""));
    rows.add(row("l2ul", 16, 0, 0.40, "published", "").replace("misclassify", "unseen"));
    Files.write(results, rows);
    Path out = tmp.resolve("charts/k.png");

    Run r = run("--results", results.toString(), "--model", "m.pt", "--out", out.toString());
    assertThat(r.code()).as("stderr: %s", r.stderr()).isZero();
    JsonNode lines = r.summary().get("lines");
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0).get("name").asText()).isEqualTo("l2ul lethe");
    JsonNode k16 = lines.get(0).get("points").get(0);
    assertThat(k16.get("k").asInt()).isEqualTo(16);
    assertThat(k16.get("runs").asInt())
        .as("both seeds and the other session's row; not the overridden or unseen rows")
        .isEqualTo(3);
    assertThat(k16.get("mean").asDouble())
        .isCloseTo((0.8 + 0.9 + 0.5) / 3, org.assertj.core.api.Assertions.within(1e-9));
    assertThat(k16.get("min").asDouble()).isEqualTo(0.5);
    assertThat(k16.get("max").asDouble()).isEqualTo(0.9);
    assertThat(lines.get(0).get("points").get(1).get("runs").asInt())
        .as("the failed run at k = 64 left out")
        .isOne();
    png(out);

    Run failed =
        run(
            "--results",
            results.toString(),
            "--model",
            "m.pt",
            "--out",
            out.toString(),
            "--include-failed",
            "--session",
            ",other",
            "--overrides",
            "none,x=1");
    assertThat(failed.code()).isZero();
    JsonNode first = failed.summary().get("lines").get(0);
    assertThat(first.get("points").get(0).get("runs").asInt()).isEqualTo(3);
    assertThat(first.get("points").get(1).get("min").asDouble()).isEqualTo(0.1);
    assertThat(failed.summary().get("lines").get(2).get("name").asText())
        .isEqualTo("l2ul lethe (x=1)");

    Run merged =
        run(
            "--results",
            results.toString(),
            "--model",
            "m.pt",
            "--out",
            out.toString(),
            "--overrides",
            "any",
            "--merge-overrides");
    assertThat(merged.summary().get("lines").get(0).get("points").get(0).get("runs").asInt())
        .as("the overridden row joins its method's line")
        .isEqualTo(4);

    Run none =
        run("--results", results.toString(), "--model", "nothing.pt", "--out", out.toString());
    assertThat(none.code()).isOne();
    assertThat(none.stderr().strip())
        .startsWith("Cannot draw test accuracy against k: no row of")
        .contains("model nothing.pt")
        .doesNotContain("\n");

    // Without a held-out sample, runs that held a retain sample are told apart from stand-ins.
    Path held = tmp.resolve("held.jsonl");
    Files.write(
        held,
        List.of(
            row("l2ul", 64, 0, 0.87, "published", ""),
            row("l2ul", 64, 0, 0.76, "published", ",\"held_out_given\":false"),
            row(
                "l2ul",
                64,
                0,
                0.86,
                "published",
                ",\"held_out_given\":false,\"retain_given\":1000")));
    for (String[] c :
        new String[][] {{"true", "0.87"}, {"false", "0.76"}, {"retain", "0.86"}, {"any", null}}) {
      Run r2 =
          run(
              "--results",
              held.toString(),
              "--model",
              "m.pt",
              "--out",
              out.toString(),
              "--held-out-given",
              c[0]);
      assertThat(r2.code()).as("stderr: %s", r2.stderr()).isZero();
      JsonNode point = r2.summary().get("lines").get(0).get("points").get(0);
      assertThat(point.get("runs").asInt()).as(c[0]).isEqualTo(c[1] == null ? 3 : 1);
      if (c[1] != null) {
        assertThat(point.get("mean").asDouble()).as(c[0]).isEqualTo(Double.parseDouble(c[1]));
      }
    }

    Run bad = run("--held-out-given", "maybe");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.stderr().strip())
        .isEqualTo(
            "Cannot draw charts with --held-out-given maybe: give true, false, retain or any");
  }

  @Test
  void drawsTheRepositorysBenchmarkResults() throws Exception {
    Path results = Path.of("../docs/results/benchmark.jsonl");
    assertThat(results).as("run from the job module").isRegularFile();
    Path out = tmp.resolve("k.png");
    Run r =
        run(
            "--results",
            results.toString(),
            "--session",
            "2026-11-27b",
            "--overrides",
            "any",
            "--out",
            out.toString());
    assertThat(r.code()).as("stderr: %s", r.stderr()).isZero();
    assertThat(r.summary().get("lines").size()).isGreaterThanOrEqualTo(3);
    png(out);
  }

  @Test
  void drawsAReportsChartsFromItsPage() throws Exception {
    Trajectory t = new Trajectory();
    for (int step = 1; step <= 30; step++) {
      t.add(step, 1.0 / step, 1 - step / 30.0, t.wantsHeldOut(step) ? 0.9 : Double.NaN);
    }
    LossHistograms losses =
        LossHistograms.of(
            "test set",
            new double[] {0.01, 0.02, 0.03},
            new double[] {2, 3, 4},
            new double[] {0.1, 0.5, 1.5, 2},
            new double[] {0.1, 0.6, 1.4, 2});
    Path page = tmp.resolve("report.html");
    Files.write(
        page,
        ReportHtml.render(ReportHtmlTest.manifest("r-1"), ReportHtmlTest.report(), t, losses));
    Path results = Path.of("../docs/results/benchmark.jsonl");

    Run r =
        run(
            "--results",
            results.toString(),
            "--out",
            tmp.resolve("k.png").toString(),
            "--report",
            page.toString(),
            "--report-prefix",
            tmp.resolve("demo").toString());
    assertThat(r.code()).as("stderr: %s", r.stderr()).isZero();
    assertThat(r.summary().get("files")).hasSize(4);
    for (String name :
        List.of("demo-trajectory.png", "demo-loss-before.png", "demo-loss-after.png")) {
      png(tmp.resolve(name));
    }

    Files.writeString(tmp.resolve("other.html"), "<html></html>");
    Run other =
        run(
            "--out",
            tmp.resolve("k.png").toString(),
            "--results",
            results.toString(),
            "--report",
            tmp.resolve("other.html").toString(),
            "--report-prefix",
            "x");
    assertThat(other.code()).isOne();
    assertThat(other.stderr().strip())
        .startsWith("Cannot read the chart data of " + tmp.resolve("other.html"))
        .contains("give a report.html that Lethe published");
  }
}
