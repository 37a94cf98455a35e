package dev.lethe.job.cli;

import dev.lethe.job.conf.LetheConf;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/** A subcommand of {@code lethe}: its options, and what it does with a Spark session. */
public interface Command {

  /** The name typed on the command line. */
  String name();

  /** One line on what the command does. */
  String summary();

  /** The command's options, in help order. */
  List<OptionSpec> options(LetheConf defaults);

  /**
   * Checks the options without starting Spark.
   *
   * @throws dev.lethe.job.failure.UsageException naming the option when one is malformed
   */
  void validate(ParsedOptions options);

  /**
   * Runs the command.
   *
   * @return the fields of the JSON summary line after {@code "status":"ok"}, in order
   */
  Map<String, Object> run(SparkSession spark, ParsedOptions options, LetheConf conf);
}
