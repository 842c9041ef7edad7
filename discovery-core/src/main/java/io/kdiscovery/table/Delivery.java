package io.kdiscovery.table;

import io.kdiscovery.model.ServiceSnapshot;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers snapshots to one listener: at most one delivery runs at a time, a listener that falls
 * behind gets the newest snapshot next, and versions never go backwards. Each subscription has its
 * own, so a slow listener holds up only itself.
 */
final class Delivery implements Subscription {

  private static final Logger log = LoggerFactory.getLogger(Delivery.class);

  private final SnapshotListener listener;
  private final Executor executor;
  private final AtomicReference<ServiceSnapshot> pending = new AtomicReference<>();
  private final AtomicBoolean draining = new AtomicBoolean();
  private volatile boolean closed;
  private long deliveredVersion; // touched only by the one drain running at a time

  Delivery(SnapshotListener listener, Executor executor) {
    this.listener = listener;
    this.executor = executor;
  }

  /** Queues {@code snapshot} unless a newer one is already queued; safe from any thread. */
  void offer(ServiceSnapshot snapshot) {
    if (closed) {
      return;
    }
    pending.accumulateAndGet(snapshot,
        (queued, offered) -> queued == null || queued.version() < offered.version() ? offered : queued);
    if (draining.compareAndSet(false, true)) {
      executor.execute(this::drain);
    }
  }

  private void drain() {
    while (true) {
      ServiceSnapshot next = pending.getAndSet(null);
      if (next == null) {
        draining.set(false);
        // An offer may have queued a snapshot after getAndSet and before the flag was cleared.
        if (pending.get() == null || !draining.compareAndSet(false, true)) {
          return;
        }
        continue;
      }
      if (closed || next.version() <= deliveredVersion) {
        continue;
      }
      deliveredVersion = next.version();
      try {
        listener.onSnapshot(next);
      } catch (RuntimeException e) {
        log.warn("snapshot listener {} threw on {}; it keeps receiving later snapshots",
            listener, next.key(), e);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    pending.set(null);
  }
}
