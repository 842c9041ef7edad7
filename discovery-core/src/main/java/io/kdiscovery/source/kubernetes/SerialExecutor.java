package io.kdiscovery.source.kubernetes;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in order, on a shared executor: the single-writer context of one watch
 * group. Many groups share a few threads, and none needs a lock for its own state.
 *
 * <p>A task that throws is handed to the owner's failure handler (which reports it in the status of
 * everything the group serves), and the next task runs: one bug must neither wedge the group nor
 * pass unnoticed. Tasks handed over after the shared executor shut down (the source is closing) are
 * dropped.
 */
final class SerialExecutor implements Executor {

  private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

  private final Executor delegate;
  private final Consumer<RuntimeException> onFailure;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  SerialExecutor(Executor delegate, Consumer<RuntimeException> onFailure) {
    this.delegate = delegate;
    this.onFailure = onFailure;
  }

  @Override
  public void execute(Runnable task) {
    tasks.add(task);
    if (scheduled.compareAndSet(false, true)) {
      try {
        delegate.execute(this::drain);
      } catch (RejectedExecutionException closing) {
        log.debug("dropped a watch task: the source is closed");
        tasks.clear();
        scheduled.set(false);
      }
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
        try {
          onFailure.accept(e);
        } catch (RuntimeException handlerFailure) {
          handlerFailure.addSuppressed(e);
          log.error("a watch task failed, and so did reporting it", handlerFailure);
        }
      }
    }
  }
}
