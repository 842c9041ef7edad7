package io.kdiscovery.time;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Scheduler} on one {@link ScheduledThreadPoolExecutor} thread.
 *
 * <p>Concurrency design: the executor owns all state; a cancelled task is removed from its queue at
 * once ({@code removeOnCancelPolicy}) so cancelled retries and refreshes never pile up in memory. A
 * task's exception is caught and logged here, because the executor would keep it in a future that
 * nobody reads.
 */
final class RealScheduler implements Scheduler {

  private static final Logger log = LoggerFactory.getLogger(RealScheduler.class);

  /** Created when {@link Scheduler#system()} is first called (class initialisation is lazy). */
  static final RealScheduler SYSTEM = new RealScheduler("kdiscovery-scheduler");

  private final ScheduledThreadPoolExecutor executor;

  RealScheduler(String threadName) {
    Objects.requireNonNull(threadName, "threadName");
    this.executor = new ScheduledThreadPoolExecutor(1, task -> DaemonThreads.newThread(threadName, task));
    executor.setRemoveOnCancelPolicy(true);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  @Override
  public Task schedule(Duration delay, Runnable task) {
    Objects.requireNonNull(delay, "delay");
    Objects.requireNonNull(task, "task");
    long nanos = delay.isNegative() ? 0 : saturatedNanos(delay);
    ScheduledFuture<?> future = executor.schedule(() -> runLogged(task), nanos, TimeUnit.NANOSECONDS);
    return () -> future.cancel(false);
  }

  /** Stops the thread; pending tasks never run. Used by tests of this class only. */
  void shutdownNow() {
    executor.shutdownNow();
  }

  boolean awaitTermination(Duration timeout) throws InterruptedException {
    return executor.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  static void handOver(Executor executor, Runnable work) {
    try {
      executor.execute(work);
    } catch (RejectedExecutionException e) {
      log.debug("kdiscovery: scheduled work dropped, its executor is shut down: {}", work, e);
    }
  }

  private static void runLogged(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      log.error("kdiscovery: a scheduled task threw; the scheduler goes on: {}", task, e);
    } catch (Error e) {
      log.error("kdiscovery: a scheduled task failed with an error: {}", task, e);
      throw e;
    }
  }

  private static long saturatedNanos(Duration delay) {
    try {
      return delay.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }
}
