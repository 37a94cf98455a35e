package dev.lethe.job.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lethe.chart.Charts;
import dev.lethe.chart.ReportCharts;
import dev.lethe.job.unlearn.ReportHtml;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The charts of docs/charts ({@code deploy/bin/bench-charts}): test accuracy after unlearning
 * against k from benchmark JSON lines (docs/results/benchmark.jsonl), one line per method and
 * preset (and tuning overrides, when a row has some, unless {@code --merge-overrides}), the mean
 * over the rows at each k with their min-max spread (seeds, and repeats of a seed); and, from a
 * version's report.html, its trajectory and loss-histogram charts, drawn by the code that drew them
 * in the page ({@link ReportCharts}). Prints one JSON line: the files written and each line's
 * points.
 *
 * <pre>
 * BenchCharts [--results FILE]... [--model NAME] [--goal GOAL] [--session S[,S...]]
 *             [--held-out-given true|false|retain|any] [--overrides O[,O...]|any] [--merge-overrides]
 *             [--include-failed]
 *             [--out PNG] [--report REPORT_HTML --report-prefix PREFIX]
 * </pre>
 */
public final class BenchCharts {

  /** Exit status of a bad option. */
  static final int USAGE = 2;

  private BenchCharts() {}

  /** What to draw. */
  record Options(
      List<Path> results,
      String model,
      String goal,
      Set<String> sessions,
      String heldOutGiven,
      Set<String> overrides,
      boolean includeFailed,
      boolean mergeOverrides,
      Path out,
      Path report,
      String reportPrefix) {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs with {@code args}; returns the exit status (0, 1 failed, 2 bad option). */
  static int run(String[] args, PrintStream out, PrintStream err) {
    Options o;
    try {
      o = parse(args);
    } catch (IllegalArgumentException e) {
      err.println(e.getMessage());
      return USAGE;
    }
    try {
      out.println(JobJson.line(draw(o)));
      return 0;
    } catch (IllegalArgumentException | UncheckedIOException e) {
      err.println(e.getMessage());
      return 1;
    }
  }

  static Options parse(String[] args) {
    List<Path> results = new ArrayList<>();
    String model = "fashion-resnet18-w16.pt";
    String goal = "misclassify";
    Set<String> sessions = null;
    String heldOutGiven = "any";
    Set<String> overrides = Set.of("");
    boolean includeFailed = false;
    boolean mergeOverrides = false;
    Path out = Path.of("docs/charts/test-accuracy-vs-k.png");
    Path report = null;
    String prefix = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--include-failed")) {
        includeFailed = true;
        continue;
      }
      if (a.equals("--merge-overrides")) {
        mergeOverrides = true;
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(
            "Cannot draw charts: option " + a + " needs a value after it, or is not an option");
      }
      String v = args[++i];
      switch (a) {
        case "--results" -> results.add(Path.of(v));
        case "--model" -> model = v;
        case "--goal" -> goal = v;
        case "--session" -> sessions = Set.of(v.split(",", -1));
        case "--held-out-given" -> {
          if (!Set.of("true", "false", "retain", "any").contains(v)) {
            throw new IllegalArgumentException(
                "Cannot draw charts with --held-out-given "
                    + v
                    + ": give true, false, retain or any");
          }
          heldOutGiven = v;
        }
        case "--overrides" ->
            overrides =
                v.equals("any")
                    ? null
                    : Arrays.stream(v.split(",", -1))
                        .map(s -> s.equals("none") ? "" : s)
                        .collect(java.util.stream.Collectors.toSet());
        case "--out" -> out = Path.of(v);
        case "--report" -> report = Path.of(v);
        case "--report-prefix" -> prefix = v;
        default ->
            throw new IllegalArgumentException(
                "Cannot draw charts: unknown option "
                    + a
                    + "; give --results, --model, --goal, --session, --held-out-given,"
                    + " --overrides, --merge-overrides, --include-failed, --out, --report or"
                    + " --report-prefix");
      }
    }
    if ((report == null) != (prefix == null)) {
      throw new IllegalArgumentException(
          "Cannot draw a report's charts: give --report and --report-prefix together");
    }
    if (results.isEmpty()) {
      results.add(Path.of("docs/results/benchmark.jsonl"));
    }
    return new Options(
        results,
        model,
        goal,
        sessions,
        heldOutGiven,
        overrides,
        includeFailed,
        mergeOverrides,
        out,
        report,
        prefix);
  }

  /** One line of the k chart: its points, k to the test accuracies after of its rows. */
  record Group(String name, TreeMap<Integer, List<Double>> byK) {}

  static ObjectNode draw(Options o) {
    Map<String, Group> groups = groups(o);
    if (groups.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot draw test accuracy against k: no row of "
              + o.results()
              + " matches model "
              + o.model()
              + ", goal "
              + o.goal()
              + (o.sessions() == null ? "" : ", session " + String.join(",", o.sessions()))
              + ", held_out_given "
              + o.heldOutGiven()
              + (o.overrides() == null ? "" : ", overrides " + o.overrides())
              + (o.includeFailed() ? "" : ", published")
              + "; loosen a filter (e.g. --overrides any, --include-failed)");
    }
    ObjectNode summary = JobJson.mapper().createObjectNode();
    List<Charts.Spread> spreads = new ArrayList<>();
    ArrayNode lines = summary.putArray("lines");
    for (Group g : groups.values()) {
      int n = g.byK().size();
      double[] x = new double[n];
      double[] mean = new double[n];
      double[] min = new double[n];
      double[] max = new double[n];
      int i = 0;
      ObjectNode line = lines.addObject();
      line.put("name", g.name());
      ArrayNode points = line.putArray("points");
      for (Map.Entry<Integer, List<Double>> e : g.byK().entrySet()) {
        x[i] = e.getKey();
        mean[i] = e.getValue().stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        min[i] = e.getValue().stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        max[i] = e.getValue().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        points
            .addObject()
            .put("k", e.getKey())
            .put("runs", e.getValue().size())
            .put("mean", mean[i])
            .put("min", min[i])
            .put("max", max[i]);
        i++;
      }
      spreads.add(new Charts.Spread(g.name(), x, mean, min, max));
    }
    String title =
        "Test accuracy after unlearning: " + o.model().replaceAll("\\.pt$", "") + ", " + o.goal();
    write(
        o.out(),
        Charts.spreads(
            title, "k (forget-set size)", "test accuracy after (mean, min-max)", spreads, false));
    ArrayNode files = summary.putArray("files");
    files.add(o.out().toString());
    if (o.report() != null) {
      String html;
      try {
        html = Files.readString(o.report(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(
            "Cannot read report " + o.report() + ": " + e + "; give a version's report.html", e);
      }
      ReportHtml.ChartData data = ReportHtml.read(html, o.report().toString());
      if (!data.trajectory().isEmpty()) {
        Path p = Path.of(o.reportPrefix() + "-trajectory.png");
        write(p, ReportCharts.trajectory(data.score(), data.trajectory()));
        files.add(p.toString());
      }
      if (data.losses() != null) {
        for (boolean after : new boolean[] {false, true}) {
          Path p = Path.of(o.reportPrefix() + (after ? "-loss-after.png" : "-loss-before.png"));
          write(p, ReportCharts.lossHistograms(data.losses(), after));
          files.add(p.toString());
        }
      }
    }
    return summary;
  }

  /** The matching rows' test accuracies after, by line and k, lines in order of first row. */
  static Map<String, Group> groups(Options o) {
    Map<String, Group> groups = new LinkedHashMap<>();
    for (Path file : o.results()) {
      List<String> rows;
      try {
        rows = Files.readAllLines(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(
            "Cannot read results " + file + ": " + e + "; give --results FILE (JSON lines)", e);
      }
      int number = 0;
      for (String text : rows) {
        number++;
        if (text.isBlank()) {
          continue;
        }
        JsonNode row;
        try {
          row = JobJson.mapper().readTree(text);
        } catch (IOException e) {
          throw new IllegalArgumentException(
              "Cannot read line " + number + " of " + file + ": not JSON (" + e.getMessage() + ")",
              e);
        }
        if (!matches(row, o)) {
          continue;
        }
        String overrides = row.path("overrides").asText("");
        String name =
            row.path("method").asText()
                + " "
                + row.path("preset").asText()
                + (overrides.isEmpty() || o.mergeOverrides() ? "" : " (" + overrides + ")");
        groups
            .computeIfAbsent(name, n -> new Group(n, new TreeMap<>()))
            .byK()
            .computeIfAbsent(row.path("k").asInt(), k -> new ArrayList<>())
            .add(row.path("test").path("accuracy_after").asDouble());
      }
    }
    return groups;
  }

  /**
   * Whether a row is drawn: its model, goal, session, held-out and overrides match, it has a test
   * accuracy after, and it published (unless failed runs are included). A row without {@code
   * held_out_given} counts as given: the benchmark gives a held-out sample unless told not to.
   * {@code --held-out-given false} takes rows that held neither a held-out nor a retain sample
   * (stand-ins), {@code retain} those without a held-out sample that held a retain sample ({@code
   * retain_given}).
   */
  private static boolean matches(JsonNode row, Options o) {
    if (!o.model().equals(row.path("model").asText())
        || !o.goal().equals(row.path("goal").asText())
        || !row.path("test").has("accuracy_after")) {
      return false;
    }
    if (o.sessions() != null && !o.sessions().contains(row.path("session").asText(""))) {
      return false;
    }
    if (!o.heldOutGiven().equals("any") && !heldOutMatches(row, o.heldOutGiven())) {
      return false;
    }
    if (o.overrides() != null && !o.overrides().contains(row.path("overrides").asText(""))) {
      return false;
    }
    return o.includeFailed() || "published".equals(row.path("status").asText());
  }

  private static boolean heldOutMatches(JsonNode row, String wanted) {
    boolean given = row.path("held_out_given").asBoolean(true);
    boolean retain = row.path("retain_given").asInt(0) > 0;
    return switch (wanted) {
      case "true" -> given;
      case "retain" -> !given && retain;
      default -> !given && !retain;
    };
  }

  private static void write(Path file, byte[] png) {
    try {
      if (file.toAbsolutePath().getParent() != null) {
        Files.createDirectories(file.toAbsolutePath().getParent());
      }
      Files.write(file, png);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot write chart " + file + ": " + e + "; check the folder and permissions", e);
    }
  }
}
