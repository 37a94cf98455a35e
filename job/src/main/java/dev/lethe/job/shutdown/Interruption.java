package dev.lethe.job.shutdown;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.util.ShutdownHookManager;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkExecutorInfo;
import org.apache.spark.sql.SparkSession;

/**
 * What happens to a run when its JVM is stopped under it: SIGTERM (a scheduler's timeout, {@code
 * kill}, a pod stopped), SIGINT (Ctrl-C) or {@code System.exit}. A {@code kill -9} runs no hook;
 * what it leaves, the next run of the same model removes ({@code WorkFolder}).
 *
 * <p>One JVM shutdown hook, registered with Hadoop's {@link ShutdownHookManager} at {@link
 * #PRIORITY}: above Spark's hook (FileSystem's priority + 30; it stops the SparkContext) and
 * FileSystem's (it closes the cached file systems), so it runs first, with Spark and the file
 * systems still up, and Hadoop's manager runs the others after it. Within {@link #BUDGET} it
 *
 * <ol>
 *   <li>marks every armed run ({@link RunGuard}) interrupted: its thread prints nothing more;
 *   <li>cancels the Spark jobs, so the runs' threads unwind through their own {@code finally}
 *       blocks (work folder removed, model copy deleted, a sweep's lease released) while Spark is
 *       up, and waits for them and for the cancelled tasks to end;
 *   <li>runs the cleanups still registered ({@link #onStop}): those of a thread that did not unwind
 *       in time, and again those done while the JVM stopped (a task that was still writing may have
 *       re-made a folder);
 *   <li>prints each interrupted run's JSON line and writes its report ({@link RunGuard}).
 * </ol>
 *
 * <p>A second hook at {@link #FINAL_SWEEP_PRIORITY} runs after Spark's has stopped the
 * SparkContext, and runs the registered cleanups once more ({@link #finalSweep}).
 *
 * <p>With nothing armed or registered (a run finished normally) it does nothing.
 */
public final class Interruption {

  /** The hook's priority in Hadoop's ShutdownHookManager: above Spark's (40) and FileSystem's. */
  public static final int PRIORITY = FileSystem.SHUTDOWN_HOOK_PRIORITY + 40;

  /**
   * The priority of the final sweep: below Spark's hook (FileSystem's priority + 30), which stops
   * the SparkContext and with it every task still running, and above FileSystem's, which closes the
   * file systems the cleanups delete with.
   */
  public static final int FINAL_SWEEP_PRIORITY = FileSystem.SHUTDOWN_HOOK_PRIORITY + 20;

  /** The system property that sets {@link #BUDGET}, in seconds. */
  public static final String BUDGET_PROPERTY = "lethe.stop.budget.seconds";

  /**
   * How long the hook works at most (Hadoop's manager cancels it 5 s later): {@value
   * #BUDGET_PROPERTY} in seconds, else 10 s. Raise it where the scheduler waits longer between
   * SIGTERM and SIGKILL (Kubernetes' grace period: 30 s by default) and the cluster is slow to
   * answer: a cancelled stage A task ends at its next PGD step, and a sweep's lease is released
   * only once a task slot is free.
   */
  public static final Duration BUDGET = Duration.ofSeconds(Long.getLong(BUDGET_PROPERTY, 10));

  private static final long HOOK_TIMEOUT_SECONDS = BUDGET.toSeconds() + 5;
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  private static final Map<Long, Cleanup> CLEANUPS = new LinkedHashMap<>();
  private static final List<RunGuard> GUARDS = new CopyOnWriteArrayList<>();
  private static final AtomicLong IDS = new AtomicLong();
  private static final long FINAL_SWEEP_SECONDS = 5;
  private static volatile boolean stopping;
  private static volatile boolean cleanedUp;
  private static boolean installed;

  private Interruption() {}

  /** Something to undo if the JVM stops before its owner does it; see {@link #onStop}. */
  public static final class Cleanup implements AutoCloseable {
    private final long id;
    private final String what;
    private final Runnable action;

    private Cleanup(long id, String what, Runnable action) {
      this.id = id;
      this.what = what;
      this.action = action;
    }

    /**
     * Forgets the cleanup: its owner has done it. While the JVM stops it stays, and the hook runs
     * it again once the cancelled Spark tasks have ended.
     */
    @Override
    public void close() {
      if (!stopping()) {
        synchronized (CLEANUPS) {
          CLEANUPS.remove(id);
        }
      }
    }

    @Override
    public String toString() {
      return what;
    }
  }

  /**
   * Registers {@code action} (idempotent, quick, safe to run from another thread) to run if the JVM
   * stops before {@link Cleanup#close} is called.
   */
  public static Cleanup onStop(String what, Runnable action) {
    install();
    Cleanup cleanup = new Cleanup(IDS.incrementAndGet(), what, action);
    synchronized (CLEANUPS) {
      CLEANUPS.put(cleanup.id, cleanup);
    }
    return cleanup;
  }

  /** Whether the JVM is stopping (this hook or Hadoop's shutdown has started). */
  public static boolean stopping() {
    return stopping || ShutdownHookManager.get().isShutdownInProgress();
  }

  /**
   * Throws when the JVM is stopping: a run calls it before it publishes, so a run whose line said
   * {@code interrupted} publishes nothing afterwards.
   *
   * @throws IllegalStateException naming {@code what} when the JVM is stopping
   */
  public static void checkNotStopping(String what) {
    if (stopping()) {
      throw new IllegalStateException(
          "Cannot " + what + ": the JVM is stopping (a signal); run the command again");
    }
  }

  static void arm(RunGuard guard) {
    install();
    GUARDS.add(guard);
  }

  static void disarm(RunGuard guard) {
    GUARDS.remove(guard);
  }

  private static synchronized void install() {
    if (installed) {
      return;
    }
    installed = true;
    try {
      ShutdownHookManager.get()
          .addShutdownHook(
              Interruption::onShutdown, PRIORITY, HOOK_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      ShutdownHookManager.get()
          .addShutdownHook(
              Interruption::finalSweep,
              FINAL_SWEEP_PRIORITY,
              FINAL_SWEEP_SECONDS + 1,
              TimeUnit.SECONDS);
    } catch (IllegalStateException e) {
      stopping = true; // the JVM is already stopping: there is nothing left to hook
    }
  }

  /** The hook; see the class comment. */
  static void onShutdown() {
    stopping = true;
    long deadline = System.nanoTime() + BUDGET.toNanos();
    List<RunGuard> guards = List.copyOf(GUARDS);
    List<RunGuard> interrupted = new ArrayList<>();
    for (RunGuard guard : guards) {
      if (guard.interrupt()) {
        interrupted.add(guard);
      }
    }
    boolean registered;
    synchronized (CLEANUPS) {
      registered = !CLEANUPS.isEmpty();
    }
    if (interrupted.isEmpty() && !registered) {
      // Runs that were already finishing: let them print their own line.
      guards.forEach(g -> g.awaitReturn(deadline));
      return;
    }
    Set<SparkContext> contexts = contexts(guards);
    contexts.forEach(Interruption::cancelJobs);
    long unwound = deadline - 2 * SECOND;
    guards.forEach(g -> g.awaitReturn(unwound));
    contexts.forEach(sc -> awaitNoRunningTasks(sc, deadline - SECOND));
    runCleanups(deadline - SECOND / 2);
    cleanedUp = true;
    interrupted.forEach(g -> g.printInterrupted(deadline));
  }

  /**
   * The second hook, after Spark's has stopped the SparkContext: runs the registered cleanups once
   * more when the first hook ran them. A cancelled task that had not yet ended when the first hook
   * looked (on a loaded machine, in two of three CI runs) could still write into a work folder and
   * re-make it after the first hook removed it; once the context has stopped, no task writes.
   */
  static void finalSweep() {
    if (cleanedUp) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(FINAL_SWEEP_SECONDS);
      awaitTaskThreads(deadline - TimeUnit.SECONDS.toNanos(FINAL_SWEEP_SECONDS) / 2);
      runCleanups(deadline);
    }
  }

  /**
   * Waits, until {@code deadline}, for this JVM's Spark task threads to end (local mode runs tasks
   * in the driver): stopping the SparkContext interrupts them but does not wait, and a task that
   * aborts its Parquet write afterwards can make a work folder again after it was removed (seen
   * once in {@code InterruptedRunsIT}: {@code Aborting task} logged after the hook had cleaned up).
   */
  private static void awaitTaskThreads(long deadline) {
    try {
      while (System.nanoTime() < deadline) {
        boolean running =
            Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.isAlive() && t.getName().startsWith(TASK_THREAD));
        if (!running) {
          return;
        }
        Thread.sleep(50);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** How Spark names the threads that run tasks (Executor's task launch pool). */
  private static final String TASK_THREAD = "Executor task launch worker";

  private static Set<SparkContext> contexts(List<RunGuard> guards) {
    Set<SparkContext> contexts = new LinkedHashSet<>();
    for (RunGuard guard : guards) {
      if (guard.sparkContext() != null) {
        contexts.add(guard.sparkContext());
      }
    }
    scala.Option<SparkSession> fallback = SparkSession.getDefaultSession();
    if (fallback.isDefined()) {
      contexts.add(fallback.get().sparkContext());
    }
    return contexts;
  }

  private static void cancelJobs(SparkContext sc) {
    try {
      if (!sc.isStopped()) {
        sc.cancelAllJobs();
      }
    } catch (RuntimeException e) {
      // stopping already: its jobs end with it
    }
  }

  private static void awaitNoRunningTasks(SparkContext sc, long deadline) {
    try {
      while (System.nanoTime() < deadline && !sc.isStopped()) {
        int running = 0;
        for (SparkExecutorInfo info : sc.statusTracker().getExecutorInfos()) {
          running += info.numRunningTasks();
        }
        if (running == 0) {
          return;
        }
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      // a context stopping under us runs no more tasks
    }
  }

  /** Runs the registered cleanups in a daemon thread, waiting for it until {@code deadline}. */
  private static void runCleanups(long deadline) {
    List<Cleanup> cleanups;
    synchronized (CLEANUPS) {
      cleanups = List.copyOf(CLEANUPS.values());
    }
    if (cleanups.isEmpty()) {
      return;
    }
    Thread worker =
        new Thread(
            () -> {
              for (Cleanup c : cleanups) {
                try {
                  c.action.run();
                } catch (RuntimeException e) {
                  System.err.println("lethe: could not remove " + c + " while stopping: " + e);
                }
              }
            },
            "lethe-interrupt-cleanup");
    worker.setDaemon(true);
    worker.start();
    join(worker, deadline);
  }

  /** Waits for {@code thread} until {@code deadline}, at least a second from now. */
  static void join(Thread thread, long deadline) {
    long millis = Math.max(1000, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    try {
      thread.join(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
