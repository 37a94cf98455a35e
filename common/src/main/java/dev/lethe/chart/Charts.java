package dev.lethe.chart;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GraphicsEnvironment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG charts with XChart, headless: line charts (a fine-tune's trajectory), histograms drawn as
 * shaded steps (loss distributions), and lines with a min-max spread (benchmark results over
 * seeds). Every chart is {@link #WIDTH} by {@link #HEIGHT} pixels with the same palette, so the
 * charts of a version's report.html and of docs/charts look alike.
 */
public final class Charts {

  /** Width of every chart in pixels. */
  public static final int WIDTH = 720;

  /** Height of every chart in pixels. */
  public static final int HEIGHT = 420;

  /** Series colours, in order (Okabe-Ito, readable by colour-blind readers). */
  private static final Color[] PALETTE = {
    new Color(0, 114, 178),
    new Color(213, 94, 0),
    new Color(0, 158, 115),
    new Color(204, 121, 167),
    new Color(230, 159, 0),
    new Color(86, 180, 233),
    new Color(0, 0, 0),
    new Color(240, 228, 66)
  };

  static {
    // No display is needed or wanted: a driver pod has none. Set before AWT starts.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private Charts() {}

  /** Whether charts render without a display (java.awt.headless, set here unless given). */
  public static boolean headless() {
    return GraphicsEnvironment.isHeadless();
  }

  /** One line: its name in the legend and its points; NaN y values are left out. */
  public record Line(String name, double[] x, double[] y) {}

  /** One histogram series: its name in the legend and its counts. */
  public record Bars(String name, Histogram histogram) {}

  /**
   * One line of means with each point's spread: at {@code x[i]} the mean {@code mean[i]} of values
   * between {@code min[i]} and {@code max[i]}.
   */
  public record Spread(String name, double[] x, double[] mean, double[] min, double[] max) {}

  /** A line chart of {@code lines}, as PNG. */
  public static byte[] lines(String title, String xTitle, String yTitle, List<Line> lines) {
    XYChart chart = chart(title, xTitle, yTitle);
    chart.getStyler().setXAxisDecimalPattern("#");
    int i = 0;
    for (Line line : lines) {
      double[][] xy = finite(line.x(), line.y());
      if (xy[0].length == 0) {
        continue;
      }
      XYSeries s = chart.addSeries(line.name(), xy[0], xy[1]);
      s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
      style(s, PALETTE[i++ % PALETTE.length], xy[0].length <= 40);
    }
    return png(chart);
  }

  /**
   * Histograms over one set of bins as shaded steps, each bin's height its share of its series (so
   * a set of 8 and one of 10,000 compare), as PNG.
   */
  public static byte[] histograms(String title, String xTitle, List<Bars> series) {
    XYChart chart = chart(title, xTitle, "share of the set");
    int i = 0;
    for (Bars bars : series) {
      Histogram h = bars.histogram();
      double[] lefts = h.lefts();
      double[] fractions = h.fractions();
      // Steps need the right edge of the last bin too.
      double[] x = java.util.Arrays.copyOf(lefts, lefts.length + 1);
      double[] y = java.util.Arrays.copyOf(fractions, fractions.length + 1);
      x[lefts.length] = h.hi();
      y[lefts.length] = fractions[fractions.length - 1];
      XYSeries s = chart.addSeries(bars.name() + " (" + h.total() + ")", x, y);
      s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.StepArea);
      Color c = PALETTE[i++ % PALETTE.length];
      s.setLineColor(c);
      s.setFillColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 80));
      s.setMarker(SeriesMarkers.NONE);
    }
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setXAxisDecimalPattern("0.##");
    return png(chart);
  }

  /**
   * Lines of means, each point with a vertical bar from its min to its max, as PNG; {@code logX}
   * for a logarithmic x axis (k that doubles).
   */
  public static byte[] spreads(
      String title, String xTitle, String yTitle, List<Spread> spreads, boolean logX) {
    XYChart chart = chart(title, xTitle, yTitle);
    chart.getStyler().setXAxisDecimalPattern("#");
    chart.getStyler().setXAxisLogarithmic(logX);
    if (spreads.size() > LEGEND_ROW) {
      // One row below the plot holds about five names; more were cut off at both edges.
      chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
      chart.getStyler().setLegendLayout(Styler.LegendLayout.Vertical);
    }
    int i = 0;
    for (Spread spread : spreads) {
      Color c = PALETTE[i++ % PALETTE.length];
      XYSeries mean = chart.addSeries(spread.name(), spread.x(), spread.mean());
      mean.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
      style(mean, c, true);
      for (int p = 0; p < spread.x().length; p++) {
        if (spread.max()[p] <= spread.min()[p]) {
          continue; // one value, or all equal: no bar
        }
        XYSeries bar =
            chart.addSeries(
                spread.name() + " spread " + p,
                new double[] {spread.x()[p], spread.x()[p]},
                new double[] {spread.min()[p], spread.max()[p]});
        bar.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        bar.setShowInLegend(false);
        bar.setLineColor(c);
        bar.setLineStyle(new BasicStroke(1.5f));
        bar.setMarker(SeriesMarkers.NONE);
        bar.setMarkerColor(c);
      }
    }
    return png(chart);
  }

  /** How many lines a legend below the plot holds; more go in a column to its right. */
  private static final int LEGEND_ROW = 5;

  private static XYChart chart(String title, String xTitle, String yTitle) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title(title)
            .xAxisTitle(xTitle)
            .yAxisTitle(yTitle)
            .build();
    Styler styler = chart.getStyler();
    styler.setChartBackgroundColor(Color.WHITE);
    styler.setPlotBackgroundColor(Color.WHITE);
    styler.setLegendPosition(Styler.LegendPosition.OutsideS);
    styler.setLegendLayout(Styler.LegendLayout.Horizontal);
    styler.setLegendBorderColor(Color.WHITE);
    styler.setAntiAlias(true);
    chart.getStyler().setPlotGridLinesColor(new Color(225, 225, 225));
    return chart;
  }

  private static void style(XYSeries s, Color c, boolean markers) {
    s.setLineColor(c);
    s.setLineStyle(new BasicStroke(2f));
    s.setMarkerColor(c);
    s.setMarker(markers ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
  }

  /** The points of x and y whose values are both finite. */
  private static double[][] finite(double[] x, double[] y) {
    int n = 0;
    for (int i = 0; i < x.length; i++) {
      if (Double.isFinite(x[i]) && Double.isFinite(y[i])) {
        n++;
      }
    }
    double[][] out = new double[2][n];
    int j = 0;
    for (int i = 0; i < x.length; i++) {
      if (Double.isFinite(x[i]) && Double.isFinite(y[i])) {
        out[0][j] = x[i];
        out[1][j++] = y[i];
      }
    }
    return out;
  }

  private static byte[] png(XYChart chart) {
    try {
      return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot encode chart " + chart.getTitle() + " as PNG", e);
    }
  }
}
