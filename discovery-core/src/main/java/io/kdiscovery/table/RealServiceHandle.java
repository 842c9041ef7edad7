package io.kdiscovery.table;

import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A user's hold on a {@link TableEntry}; see {@link ServiceHandle} for the contract. */
final class RealServiceHandle implements ServiceHandle {

  private final RealEndpointTable table;
  private final TableEntry entry;
  private final List<Subscription> subscriptions = new ArrayList<>(); // guarded by this
  private boolean closed; // guarded by this

  RealServiceHandle(RealEndpointTable table, TableEntry entry) {
    this.table = table;
    this.entry = entry;
  }

  @Override
  public ServiceKey key() {
    return entry.key;
  }

  @Override
  public Optional<ServiceSnapshot> snapshot() {
    checkOpen();
    return entry.snapshot();
  }

  @Override
  public ServiceSnapshot awaitSnapshot(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    checkOpen();
    try {
      ServiceSnapshot first = entry.first().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      // The first snapshot only says that the table is complete; a caller wants what it holds now.
      return entry.snapshot().orElse(first);
    } catch (TimeoutException e) {
      SourceStatus status = entry.status();
      throw new SnapshotTimeoutException("no snapshot of " + entry.key + " within " + timeout
          + "; source " + status.state() + (status.detail() == null ? "" : ": " + status.detail()), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SnapshotTimeoutException("interrupted while waiting for a snapshot of " + entry.key);
    } catch (ExecutionException e) {
      throw new IllegalStateException("unreachable: the first snapshot never completes exceptionally", e);
    }
  }

  @Override
  public CompletableFuture<ServiceSnapshot> firstSnapshot() {
    checkOpen();
    return entry.first().copy();
  }

  @Override
  public Subscription subscribe(SnapshotListener listener) {
    Objects.requireNonNull(listener, "listener");
    synchronized (this) {
      checkOpen();
      Subscription delivery = entry.subscribe(listener);
      Subscription subscription = new Subscription() {
        @Override
        public void close() {
          delivery.close();
          forget(this);
        }
      };
      subscriptions.add(subscription);
      return subscription;
    }
  }

  @Override
  public Subscription subscribeInline(SnapshotListener listener) {
    Objects.requireNonNull(listener, "listener");
    synchronized (this) {
      checkOpen();
      Subscription inline = entry.subscribeInline(listener);
      Subscription subscription = new Subscription() {
        @Override
        public void close() {
          inline.close();
          forget(this);
        }
      };
      subscriptions.add(subscription);
      return subscription;
    }
  }

  private synchronized void forget(Subscription subscription) {
    subscriptions.remove(subscription);
  }

  @Override
  public SourceStatus status() {
    checkOpen();
    return entry.status();
  }

  @Override
  public Duration staleness() {
    checkOpen();
    return entry.staleness();
  }

  @Override
  public long reconnects() {
    checkOpen();
    return entry.reconnects();
  }

  @Override
  public void close() {
    List<Subscription> closing;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      closing = List.copyOf(subscriptions);
      subscriptions.clear();
    }
    closing.forEach(Subscription::close);
    table.release(entry);
  }

  private synchronized void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the handle of " + entry.key + " is closed");
    }
  }

  @Override
  public String toString() {
    return "ServiceHandle[" + entry.key + "]";
  }
}
