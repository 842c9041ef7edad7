package io.kdiscovery.model;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The complete, immutable state of one Service port at one moment: what a picker is built from.
 *
 * <p>Thread-safe. Snapshots of one key carry increasing versions; a new snapshot replaces the previous
 * one whole, so a reader never sees a half-applied change. Endpoints are distinct by address and
 * port, in a stable order (by address, then port), and include the ones that are not ready; {@link
 * #usableEndpoints()} applies the one {@link Usability usable rule} to them, once per snapshot.
 *
 * <p>A value class rather than a record only so that the usable endpoints can be computed once and
 * kept; equality is over the constructor arguments, as a record's would be.
 */
public final class ServiceSnapshot {

  private final ServiceKey key;
  private final long version;
  private final Instant createdAt;
  private final boolean serviceFound;
  private final ServiceInfo service;
  private final List<Endpoint> endpoints;
  private final List<Endpoint> usableEndpoints;
  private final Instant changeTriggeredAt; // null when the change carried no trigger time

  /** A snapshot whose change carries no trigger time; see the full constructor. */
  public ServiceSnapshot(ServiceKey key, long version, Instant createdAt, boolean serviceFound,
      ServiceInfo service, List<Endpoint> endpoints) {
    this(key, version, createdAt, serviceFound, service, endpoints, null);
  }

  /**
   * @param key the Service port
   * @param version increases by one with every change published for this key; 1 is the first
   * @param createdAt when the table published it, on the table's clock
   * @param serviceFound false when the Service does not exist (or, from DNS, the name does not resolve)
   * @param service the Service's settings, {@link ServiceInfo#UNKNOWN} when they could not be read
   * @param endpoints every endpoint of the port, ready or not
   * @param changeTriggeredAt when the change this snapshot publishes was triggered in the cluster (see
   *     {@link #changeTriggeredAt()}), or null when unknown
   */
  public ServiceSnapshot(ServiceKey key, long version, Instant createdAt, boolean serviceFound,
      ServiceInfo service, List<Endpoint> endpoints, Instant changeTriggeredAt) {
    this.key = Objects.requireNonNull(key, "key");
    this.version = version;
    this.createdAt = Objects.requireNonNull(createdAt, "createdAt");
    this.serviceFound = serviceFound;
    this.service = Objects.requireNonNull(service, "service");
    this.endpoints = List.copyOf(endpoints);
    this.usableEndpoints = Usability.usable(this.endpoints);
    this.changeTriggeredAt = changeTriggeredAt;
  }

  /** The Service port. */
  public ServiceKey key() {
    return key;
  }

  /** Increases by one with every change published for this key; 1 is the first. */
  public long version() {
    return version;
  }

  /** When the table published it, on the table's clock. */
  public Instant createdAt() {
    return createdAt;
  }

  /**
   * When the Pod or Service change that this snapshot publishes happened, on the control plane's
   * clock: the EndpointSlice controller's {@code endpoints.kubernetes.io/last-change-trigger-time}
   * annotation of the slice that changed (the earliest, when several changes are published at once).
   * Empty for the first snapshot (its slices were written before the watch started), for changes of
   * slices without the annotation (a hand-written slice, an older controller), for deletions (their
   * trigger time is that of the last update) and for sources other than EndpointSlices. {@code
   * createdAt() - changeTriggeredAt()} is the client-side network-programming latency.
   */
  public Optional<Instant> changeTriggeredAt() {
    return Optional.ofNullable(changeTriggeredAt);
  }

  /** False when the Service does not exist (or, from DNS, the name does not resolve). */
  public boolean serviceFound() {
    return serviceFound;
  }

  /** The Service's settings, {@link ServiceInfo#UNKNOWN} when they could not be read. */
  public ServiceInfo service() {
    return service;
  }

  /** Every endpoint of the port, ready or not. */
  public List<Endpoint> endpoints() {
    return endpoints;
  }

  /**
   * The endpoints that may get new requests, by the one {@link Usability} rule (kube-proxy's): the
   * ready ones; when there is none, those serving while terminating. Computed once, with the snapshot.
   */
  public List<Endpoint> usableEndpoints() {
    return usableEndpoints;
  }

  /**
   * The endpoints whose {@code ready} condition holds, as published. For traffic use {@link
   * #usableEndpoints()}, which adds the terminating fallback when none is ready.
   */
  public List<Endpoint> readyEndpoints() {
    return endpoints.stream().filter(e -> e.conditions().ready()).toList();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ServiceSnapshot s
        && version == s.version && serviceFound == s.serviceFound && key.equals(s.key)
        && createdAt.equals(s.createdAt) && service.equals(s.service) && endpoints.equals(s.endpoints)
        && Objects.equals(changeTriggeredAt, s.changeTriggeredAt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, version, createdAt, serviceFound, service, endpoints, changeTriggeredAt);
  }

  @Override
  public String toString() {
    return key + " v" + version + (serviceFound ? "" : " (service not found)") + " " + endpoints;
  }
}
