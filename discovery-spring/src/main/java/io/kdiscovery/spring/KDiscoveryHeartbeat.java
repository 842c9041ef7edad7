package io.kdiscovery.spring;

import io.kdiscovery.time.DaemonThreads;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.client.discovery.event.HeartbeatEvent;
import org.springframework.context.ApplicationEventPublisher;

/**
 * Publishes Spring Cloud's {@link HeartbeatEvent} when the set of Services or the endpoints of a
 * looked-up service id change, as Spring Cloud Kubernetes' catalog watch does, but pushed by the
 * watches instead of polled. Spring Cloud Gateway's discovery locator and other listeners refresh on it.
 *
 * <p>Thread-safe; {@link #changed()} never blocks and may be called from any watch or listener
 * thread. Events are published on one named daemon thread, coalesced: a burst of changes while an
 * event is being published gives one more event, not one per change. Each event's state is a number
 * that grows with every event, so a listener's heartbeat monitor always sees a new value.
 */
final class KDiscoveryHeartbeat implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(KDiscoveryHeartbeat.class);

  private final ApplicationEventPublisher publisher;
  private final ExecutorService thread = Executors.newSingleThreadExecutor(DaemonThreads.factory("kdiscovery-heartbeat"));
  private final AtomicBoolean pending = new AtomicBoolean();
  private final AtomicLong generation = new AtomicLong();

  KDiscoveryHeartbeat(ApplicationEventPublisher publisher) {
    this.publisher = publisher;
  }

  /** Something listeners may want to refresh on has changed. */
  void changed() {
    if (pending.compareAndSet(false, true)) {
      try {
        thread.execute(this::publish);
      } catch (RejectedExecutionException e) {
        log.debug("heartbeat after close dropped", e);
      }
    }
  }

  private void publish() {
    pending.set(false);
    long state = generation.incrementAndGet();
    try {
      publisher.publishEvent(new HeartbeatEvent(this, state));
    } catch (Throwable t) { // an Error too: logged here, not lost to the thread's uncaught handler
      log.warn("a HeartbeatEvent listener failed on heartbeat {}; later heartbeats are still published", state, t);
    }
  }

  /** How many events were published so far. */
  long published() {
    return generation.get();
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
