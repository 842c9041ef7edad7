package io.kdiscovery.grpc;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.time.DaemonThreads;
import io.kdiscovery.time.Scheduler;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link KDiscovery} behind {@code kubernetes:} channels that bring none of their own, shared
 * by all of them and <b>reference counted</b>, the way grpc-java shares its own default resources
 * ({@code SharedResourceHolder}): a resolver acquires it when it is created and releases it when
 * the channel shuts it down; when the last one is released the instance is closed after
 * {@link #CLOSE_DELAY}, unless a channel acquires it again meanwhile (a channel rebuilt at once then
 * keeps its watches). Closing releases the watches, the Kubernetes client and every thread, so a
 * shut-down channel leaves nothing running; a later channel gets a fresh instance.
 *
 * <p>Why not a shutdown hook or "never closed": a gRPC user expects {@code channel.shutdownNow()} to
 * release what the channel used, in a long-lived JVM (tests, servers that rebuild channels) as at
 * exit; a hook would close watches only at exit and keep them open for the JVM's whole life. The
 * threads are daemons anyway, so a channel that is never shut down does not keep the JVM alive.
 *
 * <p>Thread-safe: every method may be called from any thread.
 */
final class SharedDiscovery {

  private static final Logger log = LoggerFactory.getLogger(SharedDiscovery.class);

  /** As grpc's SharedResourceHolder: long enough to ride over a channel rebuilt at once. */
  static final Duration CLOSE_DELAY = Duration.ofSeconds(1);

  /** The JVM's instance, behind providers made by {@link java.util.ServiceLoader}. */
  static final SharedDiscovery DEFAULT = new SharedDiscovery(KDiscovery::create, Scheduler.system(),
      task -> DaemonThreads.newThread("kdiscovery-grpc-shared-close", task).start());

  private final Supplier<KDiscovery> factory;
  private final Scheduler scheduler;
  private final Executor closer;
  private KDiscovery instance; // guarded by this
  private int references; // guarded by this
  private Scheduler.Task pendingClose; // guarded by this

  /**
   * @param closer where {@link KDiscovery#close()} runs (it may wait for threads to stop, which the
   *     scheduler's thread must not)
   */
  SharedDiscovery(Supplier<KDiscovery> factory, Scheduler scheduler, Executor closer) {
    this.factory = Objects.requireNonNull(factory, "factory");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.closer = Objects.requireNonNull(closer, "closer");
  }

  /** The shared instance, created if there is none; give it back with {@link #release}. */
  synchronized KDiscovery acquire() {
    if (pendingClose != null) {
      pendingClose.cancel();
      pendingClose = null;
    }
    if (instance == null) {
      instance = factory.get();
    }
    references++;
    return instance;
  }

  /**
   * Gives back an instance {@link #acquire} returned; the last release closes it after
   * {@link #CLOSE_DELAY}. Releasing an instance that was already closed and replaced is ignored.
   */
  synchronized void release(KDiscovery released) {
    if (released != instance) {
      log.warn("grpc: a released shared KDiscovery is not the current one; ignored");
      return;
    }
    if (references == 0) {
      log.warn("grpc: the shared KDiscovery was released more often than acquired; ignored");
      return;
    }
    references--;
    if (references == 0) {
      pendingClose = scheduler.schedule(CLOSE_DELAY, closer, this::closeIfUnused);
    }
  }

  /** Whether an instance is open now, for tests. */
  synchronized boolean isOpen() {
    return instance != null;
  }

  synchronized int references() {
    return references;
  }

  private void closeIfUnused() {
    KDiscovery closing;
    synchronized (this) {
      if (references > 0 || instance == null) {
        return; // acquired again after the close was scheduled
      }
      closing = instance;
      instance = null;
      pendingClose = null;
    }
    try {
      closing.close();
      log.debug("grpc: closed the shared KDiscovery, no channel uses it any more");
    } catch (RuntimeException e) {
      log.warn("grpc: closing the shared KDiscovery failed", e);
    }
  }
}
