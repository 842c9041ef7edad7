package io.kdiscovery.source.kubernetes;

import io.kdiscovery.catalog.CatalogSnapshot;
import io.kdiscovery.catalog.ServiceCatalog;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.source.FailureKind;
import io.kdiscovery.table.Delivery;
import io.kdiscovery.table.SnapshotTimeoutException;
import io.kdiscovery.table.SourceStatus;
import io.kdiscovery.table.SourceStatus.State;
import io.kdiscovery.table.Subscription;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ServiceCatalog} fed by a {@link WatchGroup}'s watch of Services. Its snapshot and status
 * are written on the group's serial context and read through volatile fields.
 */
final class KubernetesCatalog implements ServiceCatalog {

  private static final Logger log = LoggerFactory.getLogger(KubernetesCatalog.class);

  private final String namespace;
  private final Clock clock;
  private final Executor listenerExecutor;
  private final Runnable onClose;
  private final CompletableFuture<CatalogSnapshot> first = new CompletableFuture<>();
  private final CopyOnWriteArrayList<Delivery<CatalogSnapshot>> listeners = new CopyOnWriteArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile CatalogSnapshot snapshot;
  private volatile SourceStatus status;

  KubernetesCatalog(String namespace, Clock clock, Executor listenerExecutor, Runnable onClose) {
    this.namespace = namespace;
    this.clock = clock;
    this.listenerExecutor = listenerExecutor;
    this.onClose = onClose;
    this.status = new SourceStatus(State.STARTING, clock.instant(), null, null);
  }

  /** Called on the group's serial context with every Service of the group's scope. */
  void update(List<ServiceInfo> all, boolean inStep, String failure, FailureKind kind) {
    List<ServiceInfo> mine = namespace == null ? all
        : all.stream().filter(s -> namespace.equals(s.namespace())).toList();
    Instant now = clock.instant();
    CatalogSnapshot current = snapshot;
    if (current == null || !sameServices(current.services(), mine)) {
      CatalogSnapshot next = new CatalogSnapshot(current == null ? 1 : current.version() + 1, now, mine);
      snapshot = next;
      first.complete(next);
      for (Delivery<CatalogSnapshot> listener : listeners) {
        listener.offer(next);
      }
    }
    if (inStep) {
      status = status.state() == State.SYNCED ? new SourceStatus(State.SYNCED, status.since(), now, null)
          : new SourceStatus(State.SYNCED, now, now, null);
    } else {
      failed(failure == null ? "the watch of Services keeps failing" : failure, kind);
    }
  }

  private static boolean sameServices(List<ServiceInfo> sorted, List<ServiceInfo> unsorted) {
    return sorted.size() == unsorted.size() && new java.util.HashSet<>(sorted).equals(new java.util.HashSet<>(unsorted));
  }

  void failed(String reason, FailureKind kind) {
    SourceStatus current = status;
    if (current.state() != State.DISCONNECTED) {
      String detail = current.lastSyncedAt() == null ? "never connected: " + reason : reason;
      status = new SourceStatus(State.DISCONNECTED, clock.instant(), current.lastSyncedAt(), detail, kind);
    } else {
      status = new SourceStatus(State.DISCONNECTED, current.since(), current.lastSyncedAt(),
          current.lastSyncedAt() == null ? "never connected: " + reason : reason, kind);
    }
  }

  @Override
  public Optional<String> namespace() {
    return Optional.ofNullable(namespace);
  }

  @Override
  public Optional<CatalogSnapshot> snapshot() {
    return Optional.ofNullable(snapshot);
  }

  @Override
  public CatalogSnapshot awaitSnapshot(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    try {
      return first.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      SourceStatus now = status;
      throw new SnapshotTimeoutException("no list of the Services of "
          + (namespace == null ? "all namespaces" : "namespace " + namespace) + " within " + timeout
          + "; source " + now.state() + (now.detail() == null ? "" : ": " + now.detail()), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SnapshotTimeoutException("interrupted while waiting for the list of Services", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("unreachable: the first list never completes exceptionally", e);
    }
  }

  @Override
  public Subscription subscribe(Consumer<CatalogSnapshot> consumer) {
    Objects.requireNonNull(consumer, "consumer");
    Delivery<CatalogSnapshot> listener = new Delivery<>(consumer, CatalogSnapshot::version, listenerExecutor,
        namespace == null ? "the Services of every namespace" : "the Services of namespace " + namespace);
    listeners.add(listener);
    CatalogSnapshot current = snapshot;
    if (current != null) {
      listener.offer(current);
    }
    return () -> {
      listener.close();
      listeners.remove(listener);
    };
  }

  @Override
  public SourceStatus status() {
    return status;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      listeners.forEach(Delivery::close);
      listeners.clear();
      onClose.run();
    }
  }
}
