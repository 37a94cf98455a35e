package dev.lethe.job.cli;

import dev.lethe.job.conf.ConfLayers;
import dev.lethe.job.conf.LetheConf;
import dev.lethe.unlearn.Goal;
import dev.lethe.unlearn.TuningTable;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lethe config}: prints every effective {@code spark.lethe.*} setting for a preset and goal
 * (one {@code key = value} line each), with {@code --explain} where each value came from ({@link
 * ConfLayers.Source}) and the other Spark properties set, secrets masked ({@link
 * ConfLayers#shown}). It reads the Spark configuration and the defaults file without starting
 * Spark. The JSON line holds the same.
 */
@Command(
    name = "config",
    description =
        "print the effective spark.lethe.* settings (--explain: and where they come from)")
public final class ConfigCommand implements JobCommand {

  private static final String NAME = "config";

  @Option(
      names = "--preset",
      order = 1,
      paramLabel = "NAME",
      description = "lethe|paper|calibrate (calibrate shows lethe's) (default: lethe)")
  String preset;

  @Option(
      names = "--goal",
      order = 2,
      paramLabel = "GOAL",
      description = "misclassify|unseen (default: misclassify)")
  String goal;

  @Option(
      names = "--set",
      order = 3,
      paramLabel = "KEY=VALUE...",
      description = "tuning option, repeatable, as for unlearn (default: none)")
  List<String> sets = List.of();

  @Option(
      names = "--batch-size",
      order = 4,
      paramLabel = "N",
      description = "images per forward pass, as for unlearn (default: spark.lethe.batchSize)")
  String batchSize;

  @Option(
      names = "--explain",
      order = 5,
      description =
          "say where each value comes from (option, spark conf/properties, defaults file,"
              + " built-in) and list the other Spark properties set, secrets masked (default: off)")
  boolean explain;

  @Option(
      names = {"--help", "-h"},
      order = 99,
      usageHelp = true,
      description = "this help")
  boolean help;

  private final OptionValues values = new OptionValues(NAME);

  @Override
  public void validate() {
    presetOf();
    values.positiveInt("--batch-size", batchSize);
    tuning();
  }

  /** Runs without Spark: prints the settings of {@code layers} on {@code out}. */
  public Outcome show(ConfLayers layers, PrintStream out) {
    validate();
    LetheConf.from(layers.merged());
    TuningTable.Preset p = presetOf();
    Goal g = values.goal(goal);
    List<ConfLayers.Setting> lethe = layers.lethe(tuning(), batchSize, p, g);
    Map<String, Object> settings = new LinkedHashMap<>();
    Map<String, Object> sources = new LinkedHashMap<>();
    for (ConfLayers.Setting s : lethe) {
      out.println(line(s));
      settings.put(s.key(), ConfLayers.shown(s.key(), s.value()));
      sources.put(s.key(), s.source().label());
    }
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("preset", preset == null ? "lethe" : preset);
    fields.put("goal", g.cliName());
    fields.put("settings", settings);
    if (explain) {
      fields.put("sources", sources);
      Map<String, Object> spark = new LinkedHashMap<>();
      List<ConfLayers.Setting> others = layers.others();
      out.println("Other Spark properties set (" + others.size() + "):");
      for (ConfLayers.Setting s : others) {
        out.println(line(s));
        spark.put(s.key(), s.value());
      }
      fields.put("spark", spark);
    }
    return Outcome.ok(fields);
  }

  @Override
  public Outcome run(SparkSession spark, LetheConf conf) {
    return show(ConfLayers.load(), System.out);
  }

  private String line(ConfLayers.Setting s) {
    String text = s.key() + " = " + ConfLayers.shown(s.key(), s.value());
    return explain ? text + "    (" + s.source().label() + ")" : text;
  }

  private TuningTable.Preset presetOf() {
    if (preset == null || preset.equalsIgnoreCase("calibrate")) {
      return TuningTable.Preset.LETHE;
    }
    try {
      return TuningTable.Preset.parse(preset);
    } catch (IllegalArgumentException e) {
      throw values.usage("option --preset: " + e.getMessage());
    }
  }

  private Map<String, String> tuning() {
    return values.tuning(sets, preset, values.goal(goal));
  }
}
