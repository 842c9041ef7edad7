package io.kdiscovery.spring;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kdiscovery.BalancedService;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.SourceType;
import io.kdiscovery.affinity.Affinity;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.SnapshotTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Spring integration's view of kdiscovery: turns a Spring service id into a watched Service port
 * and keeps one live entry per id for the application's lifetime.
 *
 * <p>Thread-safe. Resolving an id the first time may block: it reads the Service once (to choose its
 * primary port, see {@link PrimaryPort}) and waits up to {@code kdiscovery.initial-wait-timeout} for
 * the first table. Afterwards every read is a volatile read of the latest snapshot. A Service that does
 * not exist is not remembered: the next lookup reads it again, so one created later is found.
 *
 * <p>Service ids are {@code <service>} (the configured namespace) or {@code <service>.<namespace>},
 * case-insensitive, as Spring Cloud LoadBalancer takes them from a URL's host.
 */
final class ServiceDirectory implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ServiceDirectory.class);

  private final KDiscovery discovery;
  private final KubernetesClient client;
  private final KDiscoveryProperties properties;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final List<Consumer<Entry>> entryListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * @param client reads Services for their ports and for {@link #serviceIds()}; null with the DNS
   *     source, which then uses the configured port name
   */
  ServiceDirectory(KDiscovery discovery, KubernetesClient client, KDiscoveryProperties properties) {
    this.discovery = discovery;
    this.client = properties.getSource() == SourceType.DNS ? null : client;
    this.properties = properties;
    balancerSettings(); // a bad setting fails the application's start, not its first request
  }

  KDiscovery discovery() {
    return discovery;
  }

  /** Calls {@code listener} with every entry opened from now on, and with those open already. */
  void onEntry(Consumer<Entry> listener) {
    entryListeners.add(listener);
    entries.values().forEach(listener);
  }

  /** The live entry of {@code serviceId}, opening it if needed; empty when the Service does not exist. */
  Optional<Entry> entry(String serviceId) {
    String id = serviceId.toLowerCase(Locale.ROOT);
    Entry existing = entries.get(id);
    if (existing != null) {
      return Optional.of(existing);
    }
    ServiceKey key = resolve(id);
    if (key == null) {
      return Optional.empty();
    }
    boolean[] created = {false};
    Entry entry = entries.computeIfAbsent(id, i -> {
      created[0] = true;
      return new Entry(i, key, discovery.open(key));
    });
    if (created[0]) {
      log.info("kdiscovery watches {} for service id '{}'", key, id);
      entryListeners.forEach(l -> l.accept(entry));
    }
    return Optional.of(entry);
  }

  /** Entries opened so far, by service id. */
  List<Entry> entries() {
    return List.copyOf(new java.util.TreeMap<>(entries).values());
  }

  /**
   * The usable pods of {@code serviceId}, waiting for the first table when needed; empty when the
   * Service does not exist or its table did not arrive in time.
   */
  List<org.springframework.cloud.client.ServiceInstance> instances(String serviceId) {
    Optional<Entry> entry = entry(serviceId);
    if (entry.isEmpty()) {
      return List.of();
    }
    ServiceSnapshot snapshot = entry.get().awaitSnapshot();
    return snapshot == null ? List.of() : entry.get().view(snapshot).instances();
  }

  /**
   * The service ids of the Services in the configured namespaces: {@code name} in the default
   * namespace, {@code name.namespace} elsewhere. With the DNS source, which cannot list Services,
   * the ids looked up so far.
   */
  List<String> serviceIds() {
    if (client == null) {
      return entries().stream().map(Entry::serviceId).toList();
    }
    String home = discovery.defaultNamespace();
    List<String> namespaces = properties.getNamespaces().isEmpty() ? List.of(home) : properties.getNamespaces();
    TreeSet<String> ids = new TreeSet<>();
    for (String namespace : namespaces) {
      for (Service service : client.services().inNamespace(namespace).list().getItems()) {
        String name = service.getMetadata().getName();
        ids.add(namespace.equals(home) ? name : name + "." + namespace);
      }
    }
    return new ArrayList<>(ids);
  }

  /** The Service port to watch for {@code id}, or null when the Service does not exist. */
  private ServiceKey resolve(String id) {
    String[] parts = id.split("\\.", -1);
    if (parts.length > 2) {
      throw new IllegalArgumentException("not a service id: '" + id + "'; expected <service> or <service>.<namespace>");
    }
    String namespace = parts.length == 2 ? parts[1] : discovery.defaultNamespace();
    String name = parts[0];
    if (client == null) {
      return ServiceKey.of(namespace, name, PrimaryPort.dnsPortName(properties.getPortName()));
    }
    Service service;
    try {
      service = client.services().inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 403 && properties.getSource() == SourceType.AUTO) {
        // The auto source falls back to DNS for the same reason: no read access to the API.
        return ServiceKey.of(namespace, name, PrimaryPort.dnsPortName(properties.getPortName()));
      }
      throw e;
    }
    if (service == null) {
      log.debug("service {}.{} does not exist", name, namespace);
      return null;
    }
    return PrimaryPort.choose(service, properties.getPortName())
        .map(port -> ServiceKey.of(namespace, name, port))
        .orElseGet(() -> {
          log.warn("service {} has no ports; kdiscovery cannot list its pods", describe(service));
          return null;
        });
  }

  private static String describe(HasMetadata object) {
    return object.getMetadata().getName() + "." + object.getMetadata().getNamespace();
  }

  /** The load balancer settings every service id gets. */
  LoadBalancer.Builder balancerSettings() {
    LoadBalancer.Builder builder = LoadBalancer.builder().policy(properties.getPolicy())
        .outlierDetection(properties.getOutlierDetection().toOutlierDetection())
        .slowStart(properties.getSlowStart());
    if (properties.getZone() != null && !properties.getZone().isBlank()) {
      builder.localZone(properties.getZone());
    }
    if (properties.getAffinity().isConfigured() && !properties.getPolicy().isConsistentHashing()) {
      builder.affinity(Affinity.sticky(properties.getAffinity().getIdleTimeout()));
    }
    return builder;
  }

  @Override
  public void close() {
    entries.values().forEach(Entry::close);
    entries.clear();
  }

  /**
   * One service id's live table, with the Spring view of its latest snapshot cached and, once the load
   * balancer asks for it, a kdiscovery {@link LoadBalancer} bound to it.
   */
  final class Entry {
    private final String serviceId;
    private final ServiceKey key;
    private final ServiceHandle handle;
    private volatile InstanceView view;
    private volatile BalancedService balanced;

    private Entry(String serviceId, ServiceKey key, ServiceHandle handle) {
      this.serviceId = serviceId;
      this.key = key;
      this.handle = handle;
    }

    String serviceId() {
      return serviceId;
    }

    ServiceKey key() {
      return key;
    }

    ServiceHandle handle() {
      return handle;
    }

    /** The latest snapshot, the first waited for up to the configured timeout; null when it did not come. */
    ServiceSnapshot awaitSnapshot() {
      Optional<ServiceSnapshot> latest = handle.snapshot();
      if (latest.isPresent()) {
        return latest.get();
      }
      try {
        // awaitSnapshot answers the first snapshot, for good: re-read the latest once it exists.
        ServiceSnapshot first = handle.awaitSnapshot(properties.getInitialWaitTimeout());
        return handle.snapshot().orElse(first);
      } catch (SnapshotTimeoutException e) {
        log.warn("no table for service id '{}' yet: {}", serviceId, e.getMessage());
        return null;
      }
    }

    /** The Spring view of {@code snapshot}, computed once per snapshot. */
    InstanceView view(ServiceSnapshot snapshot) {
      InstanceView current = view;
      if (current != null && current.snapshot() == snapshot) {
        return current;
      }
      InstanceView fresh = InstanceView.of(serviceId, snapshot);
      if (current == null || current.snapshot().version() <= snapshot.version()) {
        view = fresh;
      }
      return fresh;
    }

    /** The balancer if the load balancer has asked for one, else null; never creates it. */
    BalancedService balancedIfPresent() {
      return balanced;
    }

    /** The kdiscovery balancer of this service id, bound to its table on first use. */
    BalancedService balanced() {
      BalancedService b = balanced;
      if (b == null) {
        synchronized (this) {
          b = balanced;
          if (b == null) {
            b = discovery.balance(key, balancerSettings());
            balanced = b;
          }
        }
      }
      return b;
    }

    private synchronized void close() {
      if (balanced != null) {
        balanced.close();
      }
      handle.close();
    }
  }
}
