package dev.lethe.job.unlearn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lethe.chart.Histogram;
import dev.lethe.chart.LossHistograms;
import dev.lethe.chart.ReportCharts;
import dev.lethe.job.report.JobJson;
import dev.lethe.unlearn.Trajectory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code report.html} of a published version: one self-contained page for the reviewer who opens
 * the version folder, with no external assets. A header (model, version, parent and published model
 * hashes, erasure request ids, the forgotten ids' count and hash, method, goal, preset, dates), the
 * accuracies and the membership-inference attack before and after, steps and stage seconds, and the
 * charts as PNG data URIs: the fine-tune's trajectory and the loss histograms of the forget set and
 * the non-members before and after. Every string from the request or the run is escaped. The
 * charts' data goes along as JSON in a {@code <script type="application/json"
 * id="lethe-chart-data">} element ({@link #chartData}), so docs/charts draws the same charts with
 * the same code. A chart that cannot be drawn (no fonts in a stripped image) is a line saying so:
 * the page, and so the version, is still written.
 */
public final class ReportHtml {

  /** The published file's name. */
  public static final String FILE = "report.html";

  /** The id of the element that carries the chart data. */
  public static final String DATA_ID = "lethe-chart-data";

  /** The chart data's format. */
  public static final String DATA_FORMAT = "lethe-report-charts/1";

  private static final Pattern DATA =
      Pattern.compile(
          "<script type=\"application/json\" id=\"" + DATA_ID + "\">(.*?)</script>",
          Pattern.DOTALL);

  private ReportHtml() {}

  /**
   * The page of a version.
   *
   * @param manifest the version's manifest (its file list not needed)
   * @param report the version's report
   * @param trajectory the fine-tune step by step, or null
   * @param losses the loss histograms of stage D, or null when there was no non-member sample
   */
  public static byte[] render(
      Manifest manifest, UnlearnReport report, Trajectory trajectory, LossHistograms losses) {
    StringBuilder h = new StringBuilder(64 * 1024);
    String title = "Lethe unlearning report: " + manifest.modelName() + " " + manifest.version();
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<title>")
        .append(escape(title))
        .append("</title>\n<style>\n")
        .append("body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em;")
        .append("color:#222}\n")
        .append("table{border-collapse:collapse;margin:0.5em 0 1.5em}\n")
        .append("th,td{border:1px solid #ccc;padding:0.25em 0.6em;text-align:left;")
        .append("vertical-align:top}\n")
        .append("td.n{text-align:right;font-variant-numeric:tabular-nums}\n")
        .append("code{word-break:break-all}\nimg{max-width:100%;height:auto}\n")
        .append(".note{color:#555;font-size:0.9em}\n")
        .append("</style>\n</head>\n<body>\n<h1>")
        .append(escape(title))
        .append("</h1>\n");

    h.append("<h2>Version</h2>\n<table>\n");
    row(h, "Model name", manifest.modelName());
    row(h, "Version", manifest.version());
    row(h, "Run id", manifest.runId());
    row(h, "Published model", report.modelUri());
    row(h, "Published model SHA-256", report.modelSha256());
    row(h, "Parent model", manifest.parent().uri());
    row(h, "Parent model SHA-256", manifest.parent().sha256());
    if (manifest.requestIds() != null && !manifest.requestIds().isEmpty()) {
      row(h, "Erasure request ids", String.join(", ", manifest.requestIds()));
    }
    Manifest.Forget forget = manifest.forget();
    row(h, "Forget data", forget.uri());
    row(h, "Forgotten instances", Integer.toString(forget.count()));
    row(h, "Forgotten ids SHA-256", forget.idsSha256() + " (" + forget.idsHashed() + ")");
    if (manifest.heldOut() != null) {
      row(
          h,
          "Held-out sample",
          manifest.heldOut().count()
              + " images from "
              + manifest.heldOut().uri()
              + (manifest.heldOut().drawnFromTest() ? " (drawn from the test data)" : ""));
    }
    if (manifest.retain() != null) {
      row(
          h,
          "Retain sample",
          manifest.retain().count()
              + " images from "
              + manifest.retain().uri()
              + (manifest.retain().drawnFromForget()
                  ? " (rows of the forget data that were not forgotten)"
                  : ""));
    }
    row(h, "Method", manifest.method() + (manifest.targeted() ? " (targeted)" : ""));
    row(h, "Goal", manifest.goal());
    row(h, "Preset", manifest.preset());
    row(h, "Seed", Long.toString(manifest.seed()));
    row(h, "Started (UTC)", manifest.started());
    row(h, "Finished (UTC)", manifest.finished());
    if (manifest.versions() != null) {
      row(h, "Lethe", manifest.versions().lethe());
    }
    row(h, "Device", manifest.device());
    h.append("</table>\n");

    UnlearnReport.Measured m = report.measured();
    h.append("<h2>Accuracy before and after</h2>\n<table>\n")
        .append("<tr><th>Set</th><th>Images</th><th>Before</th><th>After</th>")
        .append("<th>Change (points)</th></tr>\n");
    accuracyRow(h, "forget", m.forget());
    accuracyRow(h, "test", m.test());
    accuracyRow(h, "retain", m.retain());
    h.append("</table>\n");

    h.append("<h2>Membership-inference attack</h2>\n");
    UnlearnReport.Mia mia = m.mia();
    if (mia == null) {
      h.append("<p>Not measured: the run had no non-member sample.</p>\n");
    } else {
      h.append("<table>\n<tr><th></th><th>Before</th><th>After</th></tr>\n")
          .append("<tr><td>Attack accuracy</td>")
          .append(number(mia.accuracyBefore()))
          .append(number(mia.accuracyAfter()))
          .append("</tr>\n<tr><td>Attack AUC</td>")
          .append(number(mia.aucBefore()))
          .append(number(mia.aucAfter()))
          .append("</tr>\n</table>\n<p class=\"note\">")
          .append(mia.members())
          .append(" forget instances against as many non-members, ")
          .append(mia.folds())
          .append(
              " folds; 0.5 is chance: the attack cannot tell the forget set from data the model"
                  + " never saw.</p>\n");
    }

    h.append("<h2>Steps and time</h2>\n<table>\n");
    row(h, "Fine-tune steps", Integer.toString(m.steps()));
    row(h, "Fine-tune epochs", Integer.toString(m.epochs()));
    if (m.stages() > 1) {
      row(h, "Chained stages (tuning key split)", Integer.toString(m.stages()));
    }
    UnlearnReport.StageSeconds s = m.seconds();
    if (s != null) {
      row(h, "Stage A, adversarial examples (s)", seconds(s.adversarial()));
      row(h, "Stage B, importance (s)", seconds(s.importance()));
      row(h, "Stage C, fine-tune (s)", seconds(s.finetune()));
      row(h, "Stage D, evaluation (s)", seconds(s.evaluate()));
      row(h, "Whole run (s)", seconds(s.total()));
    }
    h.append("</table>\n");

    h.append("<h2>Fine-tune</h2>\n");
    if (trajectory == null || trajectory.points().isEmpty()) {
      h.append("<p>No fine-tune steps were recorded (the goal was met before any step).</p>\n");
    } else {
      image(
          h,
          () -> ReportCharts.trajectory(trajectory),
          trajectory.score() + " against fine-tune steps");
      if (trajectory.heldOutMeasures() > 0) {
        h.append("<p class=\"note\">Held-out accuracy is measured on at most ")
            .append(Trajectory.HELD_OUT_IMAGES)
            .append(" images of the held-out sample, which the fine-tune may hold at the")
            .append(" original model's outputs: it is not test accuracy. Measured ")
            .append(trajectory.heldOutMeasures())
            .append(" times, every ")
            .append(trajectory.heldOutEvery())
            .append(" steps, in ")
            .append(seconds(trajectory.heldOutSeconds()))
            .append(" s.</p>\n");
      }
    }

    h.append("<h2>Per-sample loss: what the membership-inference attack sees</h2>\n");
    if (losses == null) {
      h.append("<p>Not measured: the run had no non-member sample.</p>\n");
    } else {
      image(
          h,
          () -> ReportCharts.lossHistograms(losses, false),
          "loss histograms of the forget set and the non-members before unlearning");
      image(
          h,
          () -> ReportCharts.lossHistograms(losses, true),
          "loss histograms of the forget set and the non-members after unlearning");
      h.append("<p class=\"note\">Each bar is its set's share; the non-members are the ")
          .append(escape(losses.nonMembers()))
          .append(". After unlearning the forget set's losses should look like the")
          .append(" non-members'.</p>\n");
    }

    h.append("<script type=\"application/json\" id=\"")
        .append(DATA_ID)
        .append("\">")
        // "<" only occurs inside JSON strings; as \u003c it cannot close the element.
        .append(JobJson.line(chartData(trajectory, losses)).replace("<", "\\u003c"))
        .append("</script>\n</body>\n</html>\n");
    return h.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The chart data a page carries, as JSON: format, trajectory and loss histograms (or null). */
  static ObjectNode chartData(Trajectory trajectory, LossHistograms losses) {
    ObjectNode root = JobJson.mapper().createObjectNode();
    root.put("format", DATA_FORMAT);
    if (trajectory == null) {
      root.putNull("trajectory");
    } else {
      ObjectNode t = root.putObject("trajectory");
      t.put("score", trajectory.score());
      t.put("held_out_measures", trajectory.heldOutMeasures());
      t.put("held_out_seconds", trajectory.heldOutSeconds());
      ArrayNode points = t.putArray("points");
      for (Trajectory.Point p : trajectory.points()) {
        ArrayNode row = points.addArray();
        row.add(p.step());
        finite(row, p.loss());
        finite(row, p.forgetScore());
        finite(row, p.heldOutAccuracy());
      }
    }
    if (losses == null) {
      root.putNull("loss_histograms");
    } else {
      ObjectNode l = root.putObject("loss_histograms");
      l.put("non_members", losses.nonMembers());
      histogram(l.putObject("forget_before"), losses.forgetBefore());
      histogram(l.putObject("forget_after"), losses.forgetAfter());
      histogram(l.putObject("non_members_before"), losses.nonMembersBefore());
      histogram(l.putObject("non_members_after"), losses.nonMembersAfter());
    }
    return root;
  }

  /** The chart data of a page that {@link #render} wrote. */
  public record ChartData(String score, List<Trajectory.Point> trajectory, LossHistograms losses) {}

  /**
   * Reads the chart data back from a page's text.
   *
   * @throws IllegalArgumentException naming {@code source} when the page carries none or another
   *     format
   */
  public static ChartData read(String html, String source) {
    Matcher matcher = DATA.matcher(html);
    if (!matcher.find()) {
      throw new IllegalArgumentException(
          "Cannot read the chart data of "
              + source
              + ": it has no "
              + DATA_ID
              + " element; give a report.html that Lethe published");
    }
    JsonNode root;
    try {
      root = JobJson.mapper().readTree(matcher.group(1));
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "Cannot read the chart data of " + source + ": " + e.getMessage(), e);
    }
    if (!DATA_FORMAT.equals(root.path("format").asText())) {
      throw new IllegalArgumentException(
          "Cannot read the chart data of "
              + source
              + ": its format is "
              + root.path("format").asText("missing")
              + ", not "
              + DATA_FORMAT);
    }
    JsonNode t = root.path("trajectory");
    List<Trajectory.Point> points = new ArrayList<>();
    for (JsonNode p : t.path("points")) {
      points.add(
          new Trajectory.Point(
              p.get(0).asInt(), value(p.get(1)), value(p.get(2)), value(p.get(3))));
    }
    JsonNode l = root.path("loss_histograms");
    LossHistograms losses =
        l.isObject()
            ? new LossHistograms(
                l.path("non_members").asText(),
                histogram(l.path("forget_before")),
                histogram(l.path("forget_after")),
                histogram(l.path("non_members_before")),
                histogram(l.path("non_members_after")))
            : null;
    return new ChartData(t.path("score").asText(null), points, losses);
  }

  /**
   * {@code text} with &amp;, &lt;, &gt;, &quot; and &#39; escaped, for HTML text and attributes.
   */
  public static String escape(String text) {
    if (text == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  private static void row(StringBuilder h, String name, String value) {
    h.append("<tr><th>")
        .append(escape(name))
        .append("</th><td><code>")
        .append(escape(value == null ? "none" : value))
        .append("</code></td></tr>\n");
  }

  private static void accuracyRow(StringBuilder h, String name, UnlearnReport.Accuracy a) {
    if (a == null) {
      h.append("<tr><td>").append(name).append("</td><td colspan=\"4\">not given</td></tr>\n");
      return;
    }
    h.append("<tr><td>")
        .append(name)
        .append("</td><td class=\"n\">")
        .append(a.size())
        .append("</td>")
        .append(number(a.accuracyBefore()))
        .append(number(a.accuracyAfter()))
        .append("<td class=\"n\">")
        .append(String.format(Locale.ROOT, "%+.2f", (a.accuracyAfter() - a.accuracyBefore()) * 100))
        .append("</td></tr>\n");
  }

  private static String number(double value) {
    return "<td class=\"n\">" + String.format(Locale.ROOT, "%.4f", value) + "</td>";
  }

  private static String seconds(double value) {
    return String.format(Locale.ROOT, "%.1f", value);
  }

  /** The chart as an inline PNG, or a line saying why it could not be drawn. */
  private static void image(StringBuilder h, Supplier<byte[]> chart, String alt) {
    byte[] png;
    try {
      png = chart.get();
    } catch (OutOfMemoryError e) {
      throw e;
    } catch (RuntimeException | Error e) {
      // AWT without fonts or its native libraries throws errors (AWTError, UnsatisfiedLinkError,
      // "No fonts found"): the page says so rather than the run failing after the unlearning.
      h.append("<p class=\"note\">Chart not drawn (")
          .append(escape(alt))
          .append("): ")
          .append(escape(e.toString()))
          .append("</p>\n");
      return;
    }
    h.append("<p><img alt=\"")
        .append(escape(alt))
        .append("\" src=\"data:image/png;base64,")
        .append(Base64.getEncoder().encodeToString(png))
        .append("\"></p>\n");
  }

  private static void finite(ArrayNode row, double value) {
    if (Double.isFinite(value)) {
      row.add(value);
    } else {
      row.addNull();
    }
  }

  private static double value(JsonNode node) {
    return node == null || node.isNull() ? Double.NaN : node.asDouble();
  }

  private static void histogram(ObjectNode node, Histogram h) {
    node.put("lo", h.lo());
    node.put("hi", h.hi());
    ArrayNode counts = node.putArray("counts");
    for (long c : h.counts()) {
      counts.add(c);
    }
    node.put("nan", h.nan());
  }

  private static Histogram histogram(JsonNode node) {
    long[] counts = new long[node.path("counts").size()];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = node.path("counts").get(i).asLong();
    }
    return new Histogram(
        node.path("lo").asDouble(), node.path("hi").asDouble(), counts, node.path("nan").asLong());
  }
}
