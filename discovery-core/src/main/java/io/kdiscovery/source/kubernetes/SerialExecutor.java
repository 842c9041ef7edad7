package io.kdiscovery.source.kubernetes;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in order, on a shared executor: the single-writer context of one
 * Service's watch. Many watches share a few threads, and none needs a lock for its own state.
 */
final class SerialExecutor implements Executor {

  private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

  private final Executor delegate;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  SerialExecutor(Executor delegate) {
    this.delegate = delegate;
  }

  @Override
  public void execute(Runnable task) {
    tasks.add(task);
    if (scheduled.compareAndSet(false, true)) {
      delegate.execute(this::drain);
    }
  }

  private void drain() {
    while (true) {
      Runnable task = tasks.poll();
      if (task == null) {
        scheduled.set(false);
        if (tasks.isEmpty() || !scheduled.compareAndSet(false, true)) {
          return;
        }
        continue;
      }
      try {
        task.run();
      } catch (RuntimeException e) {
        // A bug in one step must not wedge the watch: log it and go on with the next task.
        log.error("unexpected failure in a watch task", e);
      }
    }
  }
}
