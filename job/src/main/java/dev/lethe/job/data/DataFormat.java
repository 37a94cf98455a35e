package dev.lethe.job.data;

import dev.lethe.job.failure.UsageException;
import java.util.Locale;

/** How a data set is stored. */
public enum DataFormat {
  /** Detect from the path: see {@link SampleReader}. */
  AUTO,
  /** An IDX image file (N, H, W unsigned bytes, gzipped or raw) with its IDX label file. */
  IDX,
  /** An image folder {@code root/<class>/<image>.png|jpg}, labelled by class folder. */
  FOLDER,
  /** A Parquet table (file or directory) with columns id string, label int, image binary. */
  PARQUET;

  /** The name as written on the command line. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a {@code --format} value.
   *
   * @param command names the subcommand in the message
   * @throws UsageException naming the option when the value is not a format
   */
  public static DataFormat parse(String command, String value) {
    for (DataFormat format : values()) {
      if (format.cliName().equals(value.trim().toLowerCase(Locale.ROOT))) {
        return format;
      }
    }
    throw new UsageException(
        "Cannot run "
            + command
            + ": option --format is '"
            + value
            + "'; give one of auto, idx, folder, parquet");
  }
}
