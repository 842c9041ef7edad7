package io.kdiscovery.table;

import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One user's hold on the live table of a Service port. While any handle of a key is open, the
 * table keeps that Service watched; closing the last one stops the watch (after the table's idle
 * timeout).
 *
 * <p>Thread-safe. Reads never block except {@link #awaitSnapshot}. After {@link #close()}, every
 * method but {@code close} and {@link #key()} throws {@link IllegalStateException}, and the handle's
 * subscriptions are closed.
 */
public interface ServiceHandle extends AutoCloseable {

  ServiceKey key();

  /** The latest snapshot, or empty until the source delivered its first complete state. */
  Optional<ServiceSnapshot> snapshot();

  /**
   * Waits for the first complete snapshot and returns the latest one; returns at once when the table
   * has one already. A Service that
   * does not exist yet counts as complete: its snapshot is empty with {@code serviceFound == false}.
   *
   * @throws SnapshotTimeoutException after {@code timeout}, naming the Service and the source's state
   */
  ServiceSnapshot awaitSnapshot(Duration timeout);

  /** Completes with the first complete snapshot; completing it yourself changes nothing in the table. */
  CompletableFuture<ServiceSnapshot> firstSnapshot();

  /**
   * Delivers the current snapshot (if there is one) and then every later one to {@code listener},
   * on a listener thread. See {@link SnapshotListener} for the delivery contract.
   */
  Subscription subscribe(SnapshotListener listener);

  /**
   * Hands every snapshot to {@code listener} in the table's serial update context, <em>before</em> it
   * becomes visible through {@link #snapshot()} and before {@link #subscribe ordinary subscribers}
   * get it: the hook of a load balancer bound to this Service, which must hold each snapshot before
   * any reader can see it. The current snapshot, if any, is delivered first, in that same context,
   * shortly after this method returns (this method only enqueues: the calling thread never waits for
   * the update context and never runs the listener); versions strictly increase. The listener never
   * runs under a lock that a caller of the table or a request can wait on.
   *
   * <p>The listener must be fast and must never block or call back into the table: it delays every
   * update of this Service (and of the Services sharing the table's update thread). Anything it
   * throws, an {@link Error} included, is logged with the snapshot it failed on, and delivery goes on.
   */
  Subscription subscribeInline(SnapshotListener listener);

  /** Whether the table is in step with its source. */
  SourceStatus status();

  /**
   * How long the table has gone unconfirmed by its source now: zero while in step; the same as {@link
   * WatchedService#staleness()}. The table's handles measure it on the injected {@link
   * io.kdiscovery.time.Ticker}; this default, for a handle implemented elsewhere, falls back to the
   * status's wall-clock times.
   */
  default Duration staleness() {
    return status().staleness(java.time.Instant.now());
  }

  /**
   * How often the source came back in step after losing contact (an outage of the API server or the
   * DNS server) since the Service's entry was opened; the same as {@link WatchedService#reconnects()}.
   */
  long reconnects();

  /** Releases this hold; the first call counts, later ones do nothing. */
  @Override
  void close();
}
