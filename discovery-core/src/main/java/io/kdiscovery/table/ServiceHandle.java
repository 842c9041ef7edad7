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
   * Waits for the first complete snapshot; returns at once when there is one already. A Service that
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
   * Delivers the current snapshot (if there is one) and then every later one to {@code listener}
   * inline: in the table's serial update context, before the snapshot becomes visible through
   * {@link #snapshot()}, {@link #awaitSnapshot} and {@link #firstSnapshot()}, and before any
   * {@link #subscribe ordinary subscriber} gets it. This is how a balancer bound to the table always
   * has a snapshot before anyone who could pick from it has seen it.
   *
   * <p>The listener must be fast and must never block or call back into the table: it holds up every
   * update of the Service. An exception it throws is logged and the update goes on. The current
   * snapshot is delivered on the calling thread before this method returns, serialized with the
   * table's updates, so the listener never sees versions go backwards.
   */
  Subscription subscribeInline(SnapshotListener listener);

  /** Whether the table is in step with its source. */
  SourceStatus status();

  /**
   * How often the source came back in step after losing contact (an outage of the API server or the
   * DNS server) since the Service's entry was opened; the same as {@link WatchedService#reconnects()}.
   */
  long reconnects();

  /** Releases this hold; the first call counts, later ones do nothing. */
  @Override
  void close();
}
