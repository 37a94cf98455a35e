package dev.lethe.job.ledger;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/** An {@link Outcome} as a row of the ledger ({@link Ledger#SCHEMA}) and back. */
final class OutcomeRows {

  private OutcomeRows() {}

  static Row toRow(Outcome o) {
    return RowFactory.create(
        o.requestId(),
        o.status().value(),
        o.version(),
        o.modelSha256(),
        o.sampleCount(),
        o.forgetAccuracy(),
        o.testAccuracyBefore(),
        o.testAccuracyAfter(),
        o.reason(),
        timestamp(o.recordedAt()),
        o.model(),
        timestamp(o.receivedAt()),
        o.sampleIds().toArray(new String[0]));
  }

  static List<Outcome> toOutcomes(List<Row> rows) {
    List<Outcome> out = new ArrayList<>(rows.size());
    for (Row row : rows) {
      out.add(toOutcome(row));
    }
    return out;
  }

  static Outcome toOutcome(Row row) {
    return new Outcome(
        row.getAs(Ledger.REQUEST_ID),
        Status.of(row.getAs(Ledger.STATUS)),
        row.getAs("version"),
        row.getAs("model_sha256"),
        row.getAs("sample_count"),
        row.getAs("forget_accuracy"),
        row.getAs("test_accuracy_before"),
        row.getAs("test_accuracy_after"),
        row.getAs("reason"),
        instant(row.getAs("recorded_at")),
        row.getAs("model"),
        instant(row.getAs("received_at")),
        row.isNullAt(row.fieldIndex("sample_ids"))
            ? List.of()
            : row.<String>getList(row.fieldIndex("sample_ids")));
  }

  private static Timestamp timestamp(Instant value) {
    return value == null ? null : Timestamp.from(value);
  }

  static Instant instant(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof Instant instant) {
      return instant;
    }
    return ((Timestamp) value).toInstant();
  }
}
