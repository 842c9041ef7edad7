package io.kdiscovery.table;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers versioned values (snapshots of a Service, lists of Services) to one listener: at most one
 * delivery runs at a time, a listener that falls behind gets the newest value next, and versions
 * never go backwards. Each subscription has its own, so a slow listener holds up only itself.
 *
 * <p>Thread-safe: {@link #offer} may be called from any thread; the listener runs on the executor,
 * never concurrently with itself. Anything the listener throws, an {@link Error} included (a
 * {@code StackOverflowError}, an {@code AssertionError}, a class that failed to load), is logged with
 * its cause and the listener keeps receiving later values: a throw must never leave the drain marked
 * as running, or the subscriber would silently receive nothing more. Public only so that kdiscovery's own packages (the table and the service
 * catalog) share one implementation; applications subscribe through {@link ServiceHandle} and
 * {@code ServiceCatalog} instead.
 *
 * @param <T> the values delivered
 */
public final class Delivery<T> implements Subscription {

  private static final Logger log = LoggerFactory.getLogger(Delivery.class);

  private final Consumer<? super T> listener;
  private final ToLongFunction<? super T> version;
  private final Executor executor;
  private final String what;
  private final AtomicReference<T> pending = new AtomicReference<>();
  private final AtomicBoolean draining = new AtomicBoolean();
  private volatile boolean closed;
  private long deliveredVersion; // touched only by the one drain running at a time

  /**
   * @param listener receives the values, newest first when it falls behind
   * @param version a value's version; higher is newer
   * @param executor runs the deliveries
   * @param what names the values in the log line when the listener throws, e.g. a Service key
   */
  public Delivery(Consumer<? super T> listener, ToLongFunction<? super T> version, Executor executor, String what) {
    this.listener = Objects.requireNonNull(listener, "listener");
    this.version = Objects.requireNonNull(version, "version");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.what = Objects.requireNonNull(what, "what");
  }

  /** Queues {@code value} unless a newer one is already queued; safe from any thread. */
  public void offer(T value) {
    if (closed) {
      return;
    }
    pending.accumulateAndGet(value, (queued, offered) ->
        queued == null || version.applyAsLong(queued) < version.applyAsLong(offered) ? offered : queued);
    if (draining.compareAndSet(false, true)) {
      executor.execute(this::drain);
    }
  }

  private void drain() {
    while (true) {
      T next = pending.getAndSet(null);
      if (next == null) {
        draining.set(false);
        // An offer may have queued a value after getAndSet and before the flag was cleared.
        if (pending.get() == null || !draining.compareAndSet(false, true)) {
          return;
        }
        continue;
      }
      long nextVersion = version.applyAsLong(next);
      if (closed || nextVersion <= deliveredVersion) {
        continue;
      }
      deliveredVersion = nextVersion;
      try {
        listener.accept(next);
      } catch (Throwable t) { // an Error too: see the class comment
        Listeners.report(log, "listener " + listener, what, nextVersion, t);
      }
    }
  }

  /** Stops deliveries; one already running finishes its current value. */
  @Override
  public void close() {
    closed = true;
    pending.set(null);
  }
}
