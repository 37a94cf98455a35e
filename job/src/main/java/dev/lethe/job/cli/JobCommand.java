package dev.lethe.job.cli;

import dev.lethe.job.conf.LetheConf;
import org.apache.spark.sql.SparkSession;

/**
 * A subcommand of {@code lethe} after picocli filled its options: it checks them without Spark,
 * then runs with a Spark session.
 */
public interface JobCommand {

  /**
   * Checks the options without starting Spark.
   *
   * @throws dev.lethe.job.failure.UsageException naming the option when one is malformed
   */
  void validate();

  /**
   * Static Spark settings the command needs when its session starts (e.g. Delta Lake's extension
   * for the ledger); none by default.
   */
  default java.util.Map<String, String> sparkConf() {
    return java.util.Map.of();
  }

  /**
   * What the command measured before it failed with an exception (e.g. the sizes of the data it
   * validated): fields the failed summary line and the {@code --report} carry after the error. None
   * by default.
   */
  default java.util.Map<String, Object> measured() {
    return java.util.Map.of();
  }

  /**
   * Where the command writes ({@code --out}, {@code --work}, {@code --ledger}; not {@code
   * --report}, which every command has): probed before any work ({@link
   * dev.lethe.job.storage.OutputProbe}). Nulls are options not given. None by default.
   */
  default java.util.List<dev.lethe.job.storage.OutputProbe.Location> outputs() {
    return java.util.List.of();
  }

  /** Runs the command; its outcome is what the command line prints. */
  Outcome run(SparkSession spark, LetheConf conf);
}
