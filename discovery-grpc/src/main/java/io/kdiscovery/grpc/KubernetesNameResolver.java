package io.kdiscovery.grpc;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.Location;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.SourceStatus;
import io.kdiscovery.table.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves one {@code kubernetes:} target by subscribing to its Service port's live table: every
 * snapshot becomes a resolution result, pushed to the channel at once. Nothing is polled.
 *
 * <p>Concurrency: the channel calls {@link #start}, {@link #refresh} and {@link #shutdown} in its
 * {@link SynchronizationContext}; snapshots arrive on a table listener thread and are handed into that
 * same context. So every field below is read and written only inside the synchronization context,
 * and the listener is called only from there, as {@link NameResolver.Listener2#onResult2} requires.
 * The table delivers whole snapshots with increasing versions and never under a lock.
 */
final class KubernetesNameResolver extends NameResolver {

  private static final Logger log = LoggerFactory.getLogger(KubernetesNameResolver.class);

  /** The snapshot a result was made from, for the {@code kdiscovery} policy. */
  static final Attributes.Key<ServiceSnapshot> SNAPSHOT = Attributes.Key.create("io.kdiscovery.snapshot");

  /**
   * Where the application runs, as its {@link KDiscovery} found it: the {@code kdiscovery} policy's
   * zone and node unless its config sets {@code localZone}/{@code localNode}.
   */
  static final Attributes.Key<Location> LOCATION = Attributes.Key.create("io.kdiscovery.location");

  /** The KDiscovery behind the result, told when the policy's balancer serves a snapshot. */
  static final Attributes.Key<KDiscovery> DISCOVERY = Attributes.Key.create("io.kdiscovery.discovery");

  /** The kdiscovery endpoint behind an address group, for the {@code kdiscovery} policy. */
  static final Attributes.Key<Endpoint> ENDPOINT = Attributes.Key.create("io.kdiscovery.endpoint");

  private final KubernetesTarget target;
  private final KDiscovery discovery;
  private final SynchronizationContext syncContext;
  private final ScheduledExecutorService timer;
  private final Duration firstSnapshotGrace;

  private Listener2 listener;
  private ServiceHandle handle;
  private Subscription subscription;
  private SynchronizationContext.ScheduledHandle graceTimer;
  private ServiceSnapshot current;
  private Location location = Location.UNKNOWN;
  private boolean shutdown;

  KubernetesNameResolver(KubernetesTarget target, KDiscovery discovery, SynchronizationContext syncContext,
      ScheduledExecutorService timer, Duration firstSnapshotGrace) {
    this.target = target;
    this.discovery = discovery;
    this.syncContext = syncContext;
    this.timer = timer;
    this.firstSnapshotGrace = firstSnapshotGrace;
  }

  @Override
  public String getServiceAuthority() {
    return target.authority();
  }

  @Override
  public void start(Listener2 listener) {
    if (this.listener != null) {
      throw new IllegalStateException("already started");
    }
    this.listener = listener;
    try {
      // Found once when the KDiscovery was built; waits only if that is still under way (at most its
      // locationWait), and only when the channel first leaves idle.
      location = discovery.location();
      handle = discovery.open(target.key());
      subscription = handle.subscribe(snapshot -> syncContext.execute(() -> onSnapshot(snapshot)));
    } catch (RuntimeException e) { // a closed KDiscovery, say: fail the calls, not the channel
      report(Status.UNAVAILABLE.withDescription("cannot watch Service " + describe(target.key()) + ": " + e)
          .withCause(e));
      return;
    }
    if (timer != null) {
      // With no answer from the API server the channel would queue calls until their deadlines;
      // after the grace period it learns why instead, and calls without waitForReady fail fast.
      graceTimer = syncContext.schedule(this::onGracePeriodOver,
          firstSnapshotGrace.toNanos(), TimeUnit.NANOSECONDS, timer);
    }
  }

  private void onSnapshot(ServiceSnapshot snapshot) {
    if (shutdown || (current != null && snapshot.version() <= current.version())) {
      return;
    }
    current = snapshot;
    if (graceTimer != null) {
      graceTimer.cancel();
      graceTimer = null;
    }
    push();
  }

  /**
   * The table is live, so a refresh only re-sends what it shows now. Before the first snapshot it
   * does nothing: the grace period's timer reports a silent API server.
   */
  @Override
  public void refresh() {
    if (shutdown || listener == null || current == null) {
      return;
    }
    push();
  }

  private void onGracePeriodOver() {
    graceTimer = null;
    if (shutdown || current != null) {
      return;
    }
    Optional<ServiceSnapshot> snapshot = handle.snapshot();
    if (snapshot.isPresent()) {
      onSnapshot(snapshot.get());
      return;
    }
    SourceStatus status = handle.status();
    report(Status.UNAVAILABLE.withDescription("no endpoints of Service " + describe(target.key())
        + " known yet: the Kubernetes API has not answered (" + status.state()
        + (status.detail() == null ? "" : ": " + status.detail()) + ")"));
  }

  private void push() {
    List<Endpoint> usable = current.usableEndpoints();
    if (usable.isEmpty()) {
      String why = current.serviceFound()
          ? "has no ready endpoints (nor any serving while terminating)"
          : "does not exist";
      String description = "Service " + describe(target.key()) + " " + why;
      report(Status.UNAVAILABLE.withDescription(description).withCause(new NoUsablePodException(description)));
      return;
    }
    List<EquivalentAddressGroup> groups = new ArrayList<>(usable.size());
    for (Endpoint endpoint : usable) {
      groups.add(new EquivalentAddressGroup(endpoint.socketAddress(), attributesOf(endpoint)));
    }
    Status accepted = listener.onResult2(ResolutionResult.newBuilder()
        .setAddressesOrError(StatusOr.fromValue(groups))
        .setAttributes(Attributes.newBuilder().set(SNAPSHOT, current).set(LOCATION, location)
            .set(DISCOVERY, discovery).build())
        .build());
    if (!accepted.isOk()) {
      log.debug("channel did not accept the addresses of {}: {}", target.key(), accepted);
    }
  }

  private void report(Status status) {
    listener.onResult2(ResolutionResult.newBuilder()
        .setAddressesOrError(StatusOr.fromStatus(status))
        .build());
  }

  private static Attributes attributesOf(Endpoint endpoint) {
    Attributes.Builder attributes = Attributes.newBuilder().set(ENDPOINT, endpoint);
    if (endpoint.zone() != null) {
      attributes.set(EndpointAttributes.ZONE, endpoint.zone());
    }
    if (endpoint.nodeName() != null) {
      attributes.set(EndpointAttributes.NODE, endpoint.nodeName());
    }
    if (endpoint.hostname() != null) {
      attributes.set(EndpointAttributes.HOSTNAME, endpoint.hostname());
    }
    if (endpoint.podName() != null) {
      attributes.set(EndpointAttributes.POD_NAME, endpoint.podName());
    }
    return attributes.build();
  }

  static String describe(ServiceKey key) {
    return key.namespace() + "/" + key.name() + " port " + key.port();
  }

  /** Closes the subscription and the handle, which releases the Service's watch. */
  @Override
  public void shutdown() {
    if (shutdown) {
      return;
    }
    shutdown = true;
    if (graceTimer != null) {
      graceTimer.cancel();
      graceTimer = null;
    }
    if (subscription != null) {
      subscription.close();
    }
    if (handle != null) {
      handle.close();
    }
  }

  @Override
  public String toString() {
    return "KubernetesNameResolver[" + target.key() + "]";
  }
}
