package io.kdiscovery.catalog;

import io.kdiscovery.model.ServiceInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The Services of a {@link ServiceCatalog} at one moment.
 *
 * <p>Immutable and thread-safe. Versions increase by one with every change a catalog publishes.
 */
public final class CatalogSnapshot {

  private static final Comparator<ServiceInfo> ORDER =
      Comparator.comparing(ServiceInfo::namespace).thenComparing(ServiceInfo::name);

  private final long version;
  private final Instant createdAt;
  private final List<ServiceInfo> services;
  private final Map<String, ServiceInfo> byId;

  /**
   * @param services Services read from the API: each has a namespace and a name
   * @throws IllegalArgumentException when one lacks them
   */
  public CatalogSnapshot(long version, Instant createdAt, Collection<ServiceInfo> services) {
    this.version = version;
    this.createdAt = Objects.requireNonNull(createdAt, "createdAt");
    List<ServiceInfo> sorted = new ArrayList<>(services);
    for (ServiceInfo service : sorted) {
      if (service.namespace() == null || service.name() == null) {
        throw new IllegalArgumentException("a catalog lists Services read from the API; this one has no"
            + " namespace or name: " + service);
      }
    }
    sorted.sort(ORDER);
    this.services = List.copyOf(sorted);
    Map<String, ServiceInfo> index = new HashMap<>(sorted.size() * 2);
    for (ServiceInfo service : sorted) {
      index.put(id(service.namespace(), service.name()), service);
    }
    this.byId = index;
  }

  /** Increases by one with every change; 1 is the first list. */
  public long version() {
    return version;
  }

  /** When the catalog published it. */
  public Instant createdAt() {
    return createdAt;
  }

  /** Every Service, sorted by namespace, then name. */
  public List<ServiceInfo> services() {
    return services;
  }

  /** The names of the Services in {@code namespace}, sorted. */
  public List<String> names(String namespace) {
    return services.stream().filter(s -> s.namespace().equals(namespace)).map(ServiceInfo::name).toList();
  }

  /** The Service {@code namespace/name}, if listed. */
  public Optional<ServiceInfo> service(String namespace, String name) {
    return Optional.ofNullable(byId.get(id(namespace, name)));
  }

  private static String id(String namespace, String name) {
    return namespace + "/" + name;
  }

  @Override
  public String toString() {
    return "CatalogSnapshot v" + version + " " + services.size() + " Services";
  }
}
