package io.kdiscovery.time;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Runs a short task once after a delay, for timeouts, refreshes, retries and idle checks; injected
 * wherever such logic lives so that tests run it on fake time (see {@code FakeScheduler} in the
 * test-jar).
 *
 * <p>Thread-safe: {@link #schedule} and {@link Task#cancel()} may be called from any thread. Tasks
 * run on the scheduler's own thread, one at a time, so they <b>must be short and never block</b>: a
 * task that has real work to do hands it to the caller's serial executor, which is what
 * {@link #schedule(Duration, Executor, Runnable)} does. A task that throws is logged and does not
 * stop the scheduler. A task is run at the earliest when its delay has passed, maybe later; two
 * tasks are not ordered unless their due times are.
 *
 * <p>The model is Caffeine's {@code Scheduler} (which also hands work to an executor) and OkHttp's
 * {@code TaskRunner}: one timer thread for the whole library, however many Services it watches.
 */
public interface Scheduler {

  /**
   * Runs {@code task} on the scheduler's thread once {@code delay} has passed (at once for zero or
   * a negative delay, but never inside this call).
   *
   * @return a handle that cancels the task
   * @throws java.util.concurrent.RejectedExecutionException when the scheduler is shut down (only
   *     schedulers that can be shut down, never {@link #system()})
   */
  Task schedule(Duration delay, Runnable task);

  /**
   * Submits {@code work} to {@code executor} once {@code delay} has passed: the scheduler's thread
   * only hands it over. A rejection by the executor (it is shutting down) is logged at DEBUG and the
   * work is dropped, since its owner is closing.
   */
  default Task schedule(Duration delay, Executor executor, Runnable work) {
    Objects.requireNonNull(executor, "executor");
    Objects.requireNonNull(work, "work");
    return schedule(delay, () -> RealScheduler.handOver(executor, work));
  }

  /**
   * The library's shared scheduler: one daemon thread named {@code kdiscovery-scheduler}, started
   * on first use and kept for the life of the JVM (it holds nothing once its tasks are done or
   * cancelled, and a daemon thread never keeps the JVM alive). It cannot be shut down.
   */
  static Scheduler system() {
    return RealScheduler.SYSTEM;
  }

  /** A scheduled task. Thread-safe. */
  interface Task {

    /**
     * Makes sure the task does not start; a task already running finishes. Idempotent.
     *
     * @return true when this call stopped the task from ever running, false when it had run,
     *     was running, or was already cancelled
     */
    boolean cancel();
  }
}
