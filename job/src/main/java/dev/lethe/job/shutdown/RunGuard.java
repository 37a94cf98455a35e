package dev.lethe.job.shutdown;

import dev.lethe.job.report.JobJson;
import java.io.PrintStream;
import java.util.ConcurrentModificationException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;

/**
 * One command-line run, armed against the JVM stopping under it ({@link Interruption}): when it
 * does, the run's own thread prints nothing more, and the hook prints the run's last line instead,
 * {@code {"status":"interrupted","command":...,"error":"Cannot finish ...",...}} with what the run
 * measured so far (e.g. {@code stage}, {@code run_id}), and writes it to the run's {@code
 * --report}. A run that finishes calls {@link #finish} before it prints its own line: from then on
 * a signal lets it print that line and prints no other. Closing disarms it.
 */
public final class RunGuard implements AutoCloseable {

  /** Writes a run's report ({@code --report}), saying on standard error when it cannot. */
  @FunctionalInterface
  public interface ReportWriter {
    void write(String uri, Configuration hadoop, Map<String, Object> line);
  }

  private enum State {
    RUNNING,
    FINISHING,
    INTERRUPTED
  }

  private final AtomicReference<State> state = new AtomicReference<>(State.RUNNING);
  private final CountDownLatch returned = new CountDownLatch(1);
  private final String command;
  private final PrintStream out;
  private final PrintStream err;
  private final ReportWriter reports;
  private volatile Supplier<Map<String, Object>> measured = Map::of;
  private volatile SparkContext sparkContext;
  private volatile String reportUri;
  private volatile Configuration hadoop;

  private RunGuard(String command, PrintStream out, PrintStream err, ReportWriter reports) {
    this.command = command;
    this.out = out;
    this.err = err;
    this.reports = reports;
  }

  /** Arms a run of {@code command} that prints its line on {@code out}, messages on {@code err}. */
  public static RunGuard arm(
      String command, PrintStream out, PrintStream err, ReportWriter reports) {
    RunGuard guard = new RunGuard(command, out, err, reports);
    Interruption.arm(guard);
    return guard;
  }

  /** What the run has measured so far, read when it is interrupted. */
  public void measured(Supplier<Map<String, Object>> measured) {
    this.measured = measured;
  }

  /** The run's Spark context, whose jobs are cancelled when it is interrupted. */
  public void sparkContext(SparkContext sparkContext) {
    this.sparkContext = sparkContext;
  }

  /** Where the run's report goes ({@code --report}), and the Hadoop settings to write it with. */
  public void report(String uri, Configuration hadoop) {
    this.reportUri = uri;
    this.hadoop = hadoop;
  }

  /** Whether the JVM began stopping during the run: its thread must print nothing more. */
  public boolean interrupted() {
    return state.get() == State.INTERRUPTED;
  }

  /**
   * Claims the last line for the run's own thread.
   *
   * @return true: print it (the hook waits for it); false: the run was interrupted, print nothing
   */
  public boolean finish() {
    return state.compareAndSet(State.RUNNING, State.FINISHING) || state.get() == State.FINISHING;
  }

  /** Disarms the guard: the run's thread has returned. */
  @Override
  public void close() {
    Interruption.disarm(this);
    returned.countDown();
  }

  SparkContext sparkContext() {
    return sparkContext;
  }

  /** Marks a running run interrupted; false when it was already finishing. */
  boolean interrupt() {
    return state.compareAndSet(State.RUNNING, State.INTERRUPTED);
  }

  void awaitReturn(long deadline) {
    try {
      returned.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Prints the interrupted run's message, writes its report (until {@code deadline}) and line. */
  void printInterrupted(long deadline) {
    Map<String, Object> measuredSoFar = snapshot();
    Object stage = measuredSoFar.get("stage");
    String message =
        "Cannot finish lethe "
            + command
            + ": interrupted by a signal (SIGTERM or SIGINT)"
            + (stage == null ? "" : " in stage " + stage)
            + "; the files it was writing (work folder, local model copies) were removed, nothing"
            + " more was published; run the same command again";
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("status", "interrupted");
    line.put("command", command);
    line.put("error", message);
    measuredSoFar.forEach(line::putIfAbsent);
    err.println(message);
    String uri = reportUri;
    if (uri != null) {
      Configuration conf = hadoop;
      Thread writer = new Thread(() -> reports.write(uri, conf, line), "lethe-interrupted-report");
      writer.setDaemon(true);
      writer.start();
      Interruption.join(writer, deadline);
    }
    out.println(JobJson.line(line));
    out.flush();
    err.flush();
  }

  /** A copy of what the run measured; the run's thread may still be changing it. */
  private Map<String, Object> snapshot() {
    for (int attempt = 0; attempt < 5; attempt++) {
      try {
        return JobJson.mapper()
            .convertValue(
                measured.get(),
                JobJson.mapper()
                    .getTypeFactory()
                    .constructMapType(LinkedHashMap.class, String.class, Object.class));
      } catch (ConcurrentModificationException | IllegalArgumentException e) {
        Thread.onSpinWait();
      }
    }
    return Map.of();
  }
}
