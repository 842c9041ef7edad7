package io.kdiscovery.okhttp;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.time.Scheduler;
import io.kdiscovery.time.Ticker;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The Services that host names in calls have opened (a table handle or a balancer each), bounded in
 * number and released after an idle time, plus a short memory of names that are no Service: what
 * callers send can create only bounded, expiring state. Thread-safe.
 *
 * <p>Concurrency design. Open Services live in a Caffeine cache (expire after access, maximum size,
 * on the KDiscovery's ticker and scheduler; maintenance and the removal listener run on the thread
 * that triggers them, so nothing here owns a thread). A call does not use a cached value directly: it
 * takes a {@link Lease}, a reference count on the {@link Held} value, in which the cache's own
 * mapping is one reference; the count is taken inside the cache's atomic step when the value is new. When the cache drops a Service (idle, over the cap, no such Service,
 * {@link #close()}) it drops its reference; the Service closes when the last reference goes, so an
 * eviction never closes a balancer under a call that is still using it. A value the cache has already
 * dropped refuses new leases, so the call asks the cache again and gets a fresh one.
 *
 * <p>Eviction over the cap is Caffeine's (W-TinyLFU: recency and frequency), which under a flood of
 * one-off names drops one-off names before the Services an application calls all the time.
 *
 * @param <R> what an open Service is for the caller: a {@code ServiceHandle}, a {@code BalancedService}
 */
final class ServiceLeases<R> implements AutoCloseable {

  private final Function<ServiceKey, R> opener;
  private final Consumer<R> closer;
  private final Cache<ServiceKey, Held<R>> open;
  /** (namespace, name) of names that were no Service → why, for the negative TTL. */
  private final Cache<NameKey, Exception> absent;
  private volatile boolean closed;

  ServiceLeases(ServiceNameOptions options, Ticker ticker, Scheduler scheduler, Function<ServiceKey, R> opener,
      Consumer<R> closer) {
    this.opener = Objects.requireNonNull(opener, "opener");
    this.closer = Objects.requireNonNull(closer, "closer");
    com.github.benmanes.caffeine.cache.Ticker time = ticker::read;
    com.github.benmanes.caffeine.cache.Scheduler timers = caffeineScheduler(scheduler);
    this.open = Caffeine.newBuilder()
        .expireAfterAccess(options.serviceIdleTimeout())
        .maximumSize(options.maxServices())
        .ticker(time)
        .scheduler(timers)
        .executor(Runnable::run)
        .<ServiceKey, Held<R>>removalListener((key, held, cause) -> dropped(held))
        .build();
    this.absent = Caffeine.newBuilder()
        .expireAfterWrite(options.notAServiceTtl())
        .maximumSize(options.maxServices())
        .ticker(time)
        .scheduler(timers)
        .executor(Runnable::run)
        .build();
  }

  /**
   * A lease on the open Service of {@code key}, opening it if needed; null once closed. The caller
   * must close the lease when the call is done with the Service.
   */
  Lease<R> acquire(ServiceKey key) {
    if (closed) {
      return null;
    }
    Held<R> held = open.getIfPresent(key);
    if (held == null || !held.retain()) {
      // Retained inside the cache's atomic step: were the new value evicted at once (over the cap),
      // this call still holds it, and the Service closes when the call is done.
      held = open.asMap().compute(key, (k, current) -> {
        if (current != null && current.retain()) {
          return current;
        }
        Held<R> fresh = new Held<>(opener.apply(k), closer);
        fresh.retain();
        return fresh;
      });
    }
    Lease<R> lease = new Lease<>(held);
    if (closed) { // close() may have cleared the cache before this value went in
      open.invalidate(key);
      lease.close();
      return null;
    }
    return lease;
  }

  /** Why {@code namespace/name} was found to be no Service within the negative TTL, or null. */
  Exception whyAbsent(String namespace, String name) {
    return absent.getIfPresent(new NameKey(namespace, name));
  }

  /** Remembers that {@code key}'s Service does not exist and releases its open Service. */
  void markAbsent(ServiceKey key, Exception why) {
    absent.put(new NameKey(key.namespace(), key.name()), why);
    open.invalidate(key);
  }

  /** The open Service of {@code key} without touching its idle time, or null; for tests. */
  R peek(ServiceKey key) {
    Held<R> held = open.policy().getIfPresentQuietly(key);
    return held == null ? null : held.resource;
  }

  /** Runs pending expiry and eviction now; for tests. */
  void cleanUp() {
    open.cleanUp();
    absent.cleanUp();
  }

  /** How many Services are open and how many absent names are remembered; for tests. */
  long openCount() {
    return open.estimatedSize();
  }

  long absentCount() {
    return absent.estimatedSize();
  }

  /** Releases every open Service (each closes once its last call is done); later acquires get null. */
  @Override
  public void close() {
    closed = true;
    open.invalidateAll();
    absent.invalidateAll();
    open.cleanUp();
  }

  private static <R> void dropped(Held<R> held) {
    if (held != null) {
      held.dropCacheReference();
    }
  }

  /**
   * Caffeine's timers on the KDiscovery's scheduler, so that an idle Service is released on time even
   * when no further call comes, and on fake time in tests.
   */
  private static com.github.benmanes.caffeine.cache.Scheduler caffeineScheduler(Scheduler scheduler) {
    Objects.requireNonNull(scheduler, "scheduler");
    return (Executor executor, Runnable command, long delay, TimeUnit unit) -> {
      CancellableTask task = new CancellableTask(command);
      task.scheduled = scheduler.schedule(Duration.ofNanos(unit.toNanos(delay)), executor, task);
      return task;
    };
  }

  /** A Caffeine timer's future: cancelling it also takes it off the scheduler. */
  private static final class CancellableTask extends FutureTask<Void> {
    volatile Scheduler.Task scheduled;

    CancellableTask(Runnable command) {
      super(command, null);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      Scheduler.Task task = scheduled;
      if (task != null) {
        task.cancel();
      }
      return super.cancel(mayInterruptIfRunning);
    }
  }

  private record NameKey(String namespace, String name) {}

  /**
   * An open Service and how many hold it: the cache's mapping (while mapped) and each lease. Lock-free:
   * a count that reached zero never rises again, so a closed Service is never handed out.
   */
  private static final class Held<R> {
    final R resource;
    private final Consumer<R> closer;
    private final AtomicInteger references = new AtomicInteger(1); // the cache's
    private final AtomicBoolean mapped = new AtomicBoolean(true);

    Held(R resource, Consumer<R> closer) {
      this.resource = resource;
      this.closer = closer;
    }

    /** Takes a reference, unless the cache has let go of this value (then ask the cache again). */
    boolean retain() {
      if (!mapped.get()) {
        return false;
      }
      for (int count = references.get(); count > 0; count = references.get()) {
        if (references.compareAndSet(count, count + 1)) {
          return true;
        }
      }
      return false;
    }

    void dropCacheReference() {
      if (mapped.compareAndSet(true, false)) {
        release();
      }
    }

    void release() {
      if (references.decrementAndGet() == 0) {
        closer.accept(resource);
      }
    }
  }

  /** One call's hold on an open Service. Not thread-safe; close it exactly once. */
  static final class Lease<R> implements AutoCloseable {
    private final Held<R> held;
    private boolean released;

    private Lease(Held<R> held) {
      this.held = held;
    }

    R resource() {
      return held.resource;
    }

    @Override
    public void close() {
      if (!released) {
        released = true;
        held.release();
      }
    }
  }
}
