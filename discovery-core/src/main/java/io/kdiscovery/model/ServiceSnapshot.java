package io.kdiscovery.model;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The complete, immutable state of one Service port at one moment: what a picker is built from.
 *
 * <p>Thread-safe. Snapshots of one key carry increasing versions; a new snapshot replaces the previous
 * one whole, so a reader never sees a half-applied change. Endpoints are distinct by address and
 * port, in a stable order (by address, then port), and include the ones that are not ready: policies
 * decide what to use.
 *
 * @param key the Service port
 * @param version increases by one with every change published for this key; 1 is the first
 * @param createdAt when the table published it, on the table's clock
 * @param serviceFound false when the Service does not exist (or, from DNS, the name does not resolve)
 * @param service the Service's settings, {@link ServiceInfo#UNKNOWN} when they could not be read
 * @param endpoints every endpoint of the port, ready or not
 */
public record ServiceSnapshot(
    ServiceKey key,
    long version,
    Instant createdAt,
    boolean serviceFound,
    ServiceInfo service,
    List<Endpoint> endpoints) {

  public ServiceSnapshot {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(service, "service");
    endpoints = List.copyOf(endpoints);
  }

  /** The endpoints whose {@code ready} condition holds. */
  public List<Endpoint> readyEndpoints() {
    return endpoints.stream().filter(e -> e.conditions().ready()).toList();
  }

  @Override
  public String toString() {
    return key + " v" + version + (serviceFound ? "" : " (service not found)") + " " + endpoints;
  }
}
