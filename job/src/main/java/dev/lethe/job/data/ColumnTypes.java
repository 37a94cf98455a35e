package dev.lethe.job.data;

import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/** Column types the readers of users' tables accept beyond their own: integers of any width. */
public final class ColumnTypes {

  private static final List<DataType> INTEGERS =
      List.of(DataTypes.IntegerType, DataTypes.LongType, DataTypes.ShortType, DataTypes.ByteType);

  private ColumnTypes() {}

  /** Whether {@code type} is an integer type of any width (int, bigint, smallint, tinyint). */
  public static boolean isInteger(DataType type) {
    return INTEGERS.contains(type);
  }
}
