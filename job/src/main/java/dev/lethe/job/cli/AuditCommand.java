package dev.lethe.job.cli;

import dev.lethe.job.conf.LetheConf;
import dev.lethe.job.ledger.Ledger;
import dev.lethe.job.sweep.Audit;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lethe audit}: one erasure request's outcome from the ledger, the hash of its version's
 * manifest, and its samples' accuracy re-measured on the model's current version ({@link Audit}).
 */
@Command(
    name = "audit",
    description = "a request's outcome, its version's manifest hash, its samples re-measured")
public final class AuditCommand implements JobCommand {

  @Option(
      names = "--ledger",
      order = 1,
      required = true,
      paramLabel = "URI",
      description = "the sweep's Delta Lake ledger")
  String ledger;

  @Option(
      names = "--request",
      order = 2,
      required = true,
      paramLabel = "ID",
      description = "the request id to audit")
  String request;

  @Option(
      names = "--out",
      order = 3,
      paramLabel = "URI",
      description =
          "the versions' folder: adds the manifest hash and the re-measured accuracy (default:"
              + " the ledger's outcome only)")
  String out;

  @Mixin ReportOption report = new ReportOption();

  @Option(
      names = {"--help", "-h"},
      order = 99,
      usageHelp = true,
      description = "this help")
  boolean help;

  private final OptionValues values = new OptionValues("audit");

  @Override
  public Map<String, String> sparkConf() {
    return Ledger.SPARK_CONF;
  }

  @Override
  public void validate() {
    if (request.isBlank()) {
      throw values.invalid("--request", request, "give a request id");
    }
  }

  @Override
  public Outcome run(SparkSession spark, LetheConf conf) {
    validate();
    return Outcome.ok(Audit.of(spark, ledger, request, out));
  }
}
