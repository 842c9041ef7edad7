package io.kdiscovery.spring;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.fabric8.kubernetes.api.model.Service;
import io.kdiscovery.BalancedService;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.SourceType;
import io.kdiscovery.affinity.Affinity;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.SnapshotTimeoutException;
import io.kdiscovery.time.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.client.ServiceInstance;

/**
 * The Spring integration's view of kdiscovery: turns a Spring service id into the watched Service
 * ports behind it and keeps one live entry per Service for the application's lifetime.
 *
 * <p>Thread-safe. No call sends a request to the API server: Services come from the
 * {@link ServiceCatalogWatch} (a watch, started with the application), endpoints from the table. A call
 * waits only while a source has not delivered its first state, and never past that source's deadline
 * ({@code kdiscovery.initial-wait-timeout} after the catalog's start, or after a Service's first
 * lookup); past it, it fails at once with {@link KDiscoveryUnavailableException} until the source
 * answers. A Service that does not exist is answered from the catalog, and one created later is found
 * as soon as the watch reports it.
 *
 * <p>Service ids: {@code <service>} is every Service of that name in the selected namespaces (the
 * application's own by default, a list, or all), merged as Spring Cloud Kubernetes merges them;
 * {@code <service>.<namespace>} is that one Service (Kubernetes names cannot contain dots, so the two
 * forms never collide). Case-insensitive, as Spring Cloud LoadBalancer takes ids from a URL's host.
 *
 * <p>Bounded for any names callers send. With the catalog, only Services it lists get an entry, and
 * they keep it for the application's lifetime. Without one (the DNS source, or AUTO once the API
 * forbids listing), every name looked up could be a Service, so entries by name live in a Caffeine
 * cache on the injected ticker: released after {@code kdiscovery.names.idle-timeout} without a lookup
 * or a request, at most {@code kdiscovery.names.max-services} of them (the least recently used go
 * first); a name whose source answers that it does not exist (NXDOMAIN) is closed at once and kept
 * only as a negative entry for {@code kdiscovery.names.not-found-ttl}. Entry listeners hear of an entry
 * by name only once its source has found the Service, so nothing (meters included) is made for a name
 * that is no Service.
 */
final class ServiceDirectory implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ServiceDirectory.class);

  private final KDiscovery discovery;
  private final ServiceCatalogWatch catalog;
  private final KDiscoveryProperties properties;
  private final Function<String, KDiscoveryProperties.ServiceSettings> settings;
  private final Predicate<Service> filter;
  private final Ticker ticker;
  private volatile PodMetadataWatch pods;
  private volatile PortlessEndpoints portless;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  /** Without a catalog: entries by name, idle-expiring and capped; closed when Caffeine removes them. */
  private final Cache<String, Entry> byName;
  /** Without a catalog: names their source said are no Service, briefly. */
  private final Cache<String, Boolean> notFound;
  private final List<Consumer<Entry>> entryListeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<Entry>> releaseListeners = new CopyOnWriteArrayList<>();

  /**
   * @param catalog the Services of the selected namespaces; null with the DNS source, which cannot
   *     list Services and then uses the configured port name
   * @param settings each service id's balancing settings (the global ones where it has none)
   */
  ServiceDirectory(KDiscovery discovery, ServiceCatalogWatch catalog, KDiscoveryProperties properties,
      Function<String, KDiscoveryProperties.ServiceSettings> settings, Ticker ticker) {
    this.discovery = discovery;
    this.catalog = catalog;
    this.properties = properties;
    this.settings = settings;
    this.filter = ServiceFilter.of(properties.getFilter());
    this.ticker = ticker;
    balancerSettings(properties.globalSettings()); // a bad setting fails the start, not a request
    LoadBalancer.builder().maxOutstandingPicks(properties.getMaxOutstandingPicks());
    KDiscoveryProperties.Names names = properties.getNames();
    // Maintenance (expiry, eviction and the removal listener) runs on the calling threads, so fake
    // time in the tests sees it deterministically and no executor thread is taken.
    this.byName = Caffeine.newBuilder()
        .expireAfterAccess(names.getIdleTimeout())
        .maximumSize(names.getMaxServices())
        .ticker(ticker::read)
        .executor(Runnable::run)
        .removalListener((String slot, Entry entry, RemovalCause cause) -> {
          if (entry != null) {
            log.debug("kdiscovery releases {} ({})", entry.key, cause);
            release(entry);
          }
        })
        .build();
    this.notFound = Caffeine.newBuilder()
        .expireAfterWrite(names.getNotFoundTtl())
        .maximumSize(names.getMaxServices())
        .ticker(ticker::read)
        .executor(Runnable::run)
        .build();
  }

  KDiscovery discovery() {
    return discovery;
  }

  /**
   * Headless Services without ports are listed from {@code portless} (with port 0, as Spring Cloud
   * Kubernetes lists them); without it they have no instances. The directory closes it with itself.
   */
  void portless(PortlessEndpoints portless) {
    this.portless = portless;
  }

  /**
   * Instances carry their pods' labels and annotations from {@code pods} once it knows them; the
   * directory closes it with itself.
   */
  void podMetadata(PodMetadataWatch pods) {
    this.pods = pods;
  }

  /**
   * Calls {@code listener} with every entry opened from now on, and with those open already; an entry
   * by name only once its source has found the Service.
   */
  void onEntry(Consumer<Entry> listener) {
    entryListeners.add(listener);
    entries.values().forEach(listener);
    byName.asMap().values().stream().filter(Entry::isFound).forEach(listener);
  }

  /** Calls {@code listener} with every entry the directory closes from now on, before the application stops. */
  void onRelease(Consumer<Entry> listener) {
    releaseListeners.add(listener);
  }

  /** Entries open now, by Service (entries by name once found). */
  List<Entry> entries() {
    TreeMap<String, Entry> all = new TreeMap<>(entries);
    byName.asMap().forEach((slot, entry) -> {
      if (entry.isFound()) {
        all.put(slot, entry);
      }
    });
    return List.copyOf(all.values());
  }

  /** Runs the name cache's pending expiry now (it otherwise runs as lookups come). */
  void cleanUp() {
    byName.cleanUp();
    notFound.cleanUp();
  }

  /** Entries by name, found or not yet answered, and names remembered as no Service: for the tests. */
  long namesHeld() {
    return byName.estimatedSize() + notFound.estimatedSize();
  }

  /**
   * The instances of {@code serviceId}, merged across the Services it names; empty when none exists.
   *
   * @throws KDiscoveryUnavailableException when a source has not answered by its deadline
   */
  List<ServiceInstance> instances(String serviceId) {
    String id = serviceId.toLowerCase(Locale.ROOT);
    List<ServiceInstance> instances = new ArrayList<>();
    for (Target target : targets(id)) {
      if (target.externalName() != null) {
        instances.add(target.externalName());
        continue;
      }
      if (target.portless() != null) {
        instances.addAll(portless.instances(target.portless().getMetadata().getName(), target.portless(),
            properties, pods));
        continue;
      }
      ServiceSnapshot snapshot = target.entry().awaitSnapshot();
      if (settle(target.entry(), snapshot)) {
        instances.addAll(target.entry().view(snapshot).instances());
      }
    }
    return instances;
  }

  /**
   * The entry the load balancer picks from for {@code serviceId}: its Service in the first selected
   * namespace that has one (the application's own first); empty when there is none.
   *
   * @throws KDiscoveryUnavailableException when the catalog has not answered by its deadline
   */
  Optional<Entry> entryForBalancing(String serviceId) {
    String id = serviceId.toLowerCase(Locale.ROOT);
    return targets(id).stream().filter(t -> t.entry() != null).map(Target::entry).findFirst();
  }

  /**
   * The names of the Services of the selected namespaces, as Spring Cloud Kubernetes lists them:
   * plain names, each once. With the DNS source, which cannot list Services, the ids looked up so far.
   *
   * @throws KDiscoveryUnavailableException when the catalog has not answered by its deadline
   */
  List<String> serviceIds() {
    if (catalog == null || dnsFallback()) {
      return entries().stream().filter(e -> e.byName).map(Entry::serviceId).distinct().toList();
    }
    TreeSet<String> names = new TreeSet<>();
    for (Service service : catalog.selectedServices()) {
      if (filter.test(service) && (properties.isIncludeExternalNameServices() || !isExternalName(service))) {
        names.add(service.getMetadata().getName());
      }
    }
    return new ArrayList<>(names);
  }

  /** What a service id names: live entries, and ExternalName instances when those are included. */
  private List<Target> targets(String id) {
    String[] parts = id.split("\\.", -1);
    if (parts.length > 2 || parts[0].isEmpty() || (parts.length == 2 && parts[1].isEmpty())) {
      throw new IllegalArgumentException("not a service id: '" + id + "'; expected <service> or <service>.<namespace>");
    }
    String name = parts[0];
    String namespace = parts.length == 2 ? parts[1] : null;
    if (catalog == null || dnsFallback()) {
      String ns = namespace != null ? namespace : discovery.defaultNamespace();
      ServiceKey key = ServiceKey.of(ns, name, PrimaryPort.dnsPortName(properties.getPortName()));
      String slot = key.namespace() + "/" + key.name();
      if (notFound.getIfPresent(slot) != null) {
        return List.of();
      }
      return List.of(new Target(entryByName(slot, id, key), null, null));
    }
    List<Service> services;
    try {
      services = namespace != null
          ? catalog.service(namespace, name).map(List::of).orElse(List.of())
          : homeFirst(catalog.servicesNamed(name));
    } catch (KDiscoveryUnavailableException e) {
      if (dnsFallback()) {
        return targets(id);
      }
      throw e;
    }
    List<Target> targets = new ArrayList<>(services.size());
    for (Service service : services) {
      if (!filter.test(service)) {
        continue;
      }
      if (isExternalName(service)) {
        if (properties.isIncludeExternalNameServices()) {
          targets.add(new Target(null, InstanceView.externalName(service, properties), null));
        }
        continue;
      }
      if (portless != null && PortlessEndpoints.isPortlessHeadless(service)) {
        targets.add(new Target(null, null, service));
        continue;
      }
      String ns = service.getMetadata().getNamespace();
      Optional<String> port = PrimaryPort.choose(service, properties.getPortName());
      if (port.isEmpty()) {
        log.debug("Service {}.{} has no ports; kdiscovery cannot list its pods", name, ns);
        continue;
      }
      String entryId = ns.equals(discovery.defaultNamespace()) ? name : name + "." + ns;
      targets.add(new Target(entry(entryId, ServiceKey.of(ns, name, port.get()), service), null, null));
    }
    return targets;
  }

  private List<Service> homeFirst(List<Service> services) {
    if (services.size() < 2) {
      return services;
    }
    String home = discovery.defaultNamespace();
    List<Service> ordered = new ArrayList<>(services.size());
    services.stream().filter(s -> home.equals(s.getMetadata().getNamespace())).forEach(ordered::add);
    services.stream().filter(s -> !home.equals(s.getMetadata().getNamespace())).forEach(ordered::add);
    return ordered;
  }

  /** With the auto source, a catalog the API server forbids means DNS, as the endpoint source decides. */
  private boolean dnsFallback() {
    return properties.getSource() == SourceType.AUTO && catalog != null && catalog.forbidden();
  }

  private static boolean isExternalName(Service service) {
    return service.getSpec() != null && "ExternalName".equals(service.getSpec().getType());
  }

  /** Without a catalog: the entry of a name, opened on its first lookup and touched on every one. */
  private Entry entryByName(String slot, String entryId, ServiceKey key) {
    Entry existing = byName.getIfPresent(slot);
    if (existing != null && !existing.isClosed()) {
      return existing;
    }
    boolean[] created = {false};
    Entry entry = byName.asMap().compute(slot, (s, current) -> {
      if (current != null && !current.isClosed()) {
        return current;
      }
      created[0] = true;
      return new Entry(entryId, key, discovery.open(key), true);
    });
    if (created[0]) {
      log.debug("kdiscovery watches {} for service id '{}' until it goes unused", key, entryId);
    }
    return entry;
  }

  /**
   * Without a catalog, what the first answer for a name means: a Service (the entry's listeners hear
   * of it now, once) or no Service (the entry is closed, and the name remembered as such briefly).
   * Entries from the catalog are Services already.
   *
   * @return whether {@code entry} stands for a Service that exists
   */
  boolean settle(Entry entry, ServiceSnapshot snapshot) {
    if (!entry.byName) {
      return true;
    }
    String slot = entry.key.namespace() + "/" + entry.key.name();
    if (snapshot.serviceFound()) {
      if (entry.found.compareAndSet(false, true)) {
        log.info("kdiscovery watches {} for service id '{}'", entry.key, entry.serviceId);
        entryListeners.forEach(l -> l.accept(entry));
      }
      return true;
    }
    notFound.put(slot, Boolean.TRUE);
    byName.asMap().remove(slot, entry); // the removal listener closes it
    return false;
  }

  /**
   * Whether {@code entry} stands for a Service that exists, waiting (within its deadline) for the first
   * answer of an entry by name that has none yet; see {@link #settle}.
   *
   * @throws KDiscoveryUnavailableException when the source has not answered by the deadline
   */
  boolean isService(Entry entry) {
    return !entry.byName || entry.isFound() || settle(entry, entry.awaitSnapshot());
  }

  /** Keeps an entry by name from expiring while requests use it (the load balancer's fast path). */
  void touch(Entry entry) {
    if (entry.byName) {
      byName.getIfPresent(entry.key.namespace() + "/" + entry.key.name());
    }
  }

  private void release(Entry entry) {
    entry.close();
    releaseListeners.forEach(l -> l.accept(entry));
  }

  /** The entry of {@code key}, opening it (or replacing one whose primary port changed). */
  private Entry entry(String entryId, ServiceKey key, Service service) {
    String slot = key.namespace() + "/" + key.name();
    Entry existing = entries.get(slot);
    if (existing != null && existing.key.equals(key)) {
      return existing;
    }
    Entry[] replaced = {null};
    boolean[] created = {false};
    Entry entry = entries.compute(slot, (s, current) -> {
      if (current != null && current.key.equals(key)) {
        return current;
      }
      replaced[0] = current;
      created[0] = true;
      return new Entry(entryId, key, discovery.open(key), false);
    });
    if (replaced[0] != null) {
      log.info("Service {} changed its primary port: kdiscovery now watches {}", slot, key);
      release(replaced[0]);
    }
    if (created[0]) {
      log.info("kdiscovery watches {} for service id '{}'", key, entryId);
      entryListeners.forEach(l -> l.accept(entry));
    }
    return entry;
  }

  /** The load balancer settings of {@code serviceId}: its own over the global ones. */
  LoadBalancer.Builder balancerSettings(String serviceId) {
    return balancerSettings(settings.apply(serviceId.toLowerCase(Locale.ROOT)));
  }

  /** The settings of {@code serviceId}: its own over the global ones. */
  KDiscoveryProperties.ServiceSettings settingsOf(String serviceId) {
    return settings.apply(serviceId.toLowerCase(Locale.ROOT));
  }

  /** The affinity settings of {@code serviceId}: its own over the global ones. */
  KDiscoveryProperties.Affinity affinitySettings(String serviceId) {
    return settings.apply(serviceId.toLowerCase(Locale.ROOT)).getAffinity();
  }

  private static LoadBalancer.Builder balancerSettings(KDiscoveryProperties.ServiceSettings s) {
    LoadBalancer.Builder builder = LoadBalancer.builder().policy(s.getPolicy())
        .outlierDetection(s.getOutlierDetection().toOutlierDetection())
        .slowStart(s.getSlowStart());
    if (s.getAffinity().isConfigured() && !s.getPolicy().isConsistentHashing()) {
      builder.affinity(Affinity.sticky(s.getAffinity().getIdleTimeout()));
    }
    return builder;
  }

  private LoadBalancer.Builder zoned(LoadBalancer.Builder builder) {
    builder.maxOutstandingPicks(properties.getMaxOutstandingPicks());
    if (properties.getZone() != null && !properties.getZone().isBlank()) {
      builder.localZone(properties.getZone());
    }
    return builder;
  }

  @Override
  public void close() {
    entries.values().forEach(Entry::close);
    entries.clear();
    byName.asMap().values().forEach(Entry::close);
    byName.invalidateAll();
    notFound.invalidateAll();
    PodMetadataWatch podWatch = pods;
    if (podWatch != null) {
      podWatch.close();
    }
    PortlessEndpoints headless = portless;
    if (headless != null) {
      headless.close();
    }
  }

  /**
   * What one Service of a service id contributes: a live entry, an ExternalName instance, or a headless
   * Service without ports (listed by {@link PortlessEndpoints}).
   */
  private record Target(Entry entry, ServiceInstance externalName, Service portless) {}

  /**
   * One Service port's live table, with the Spring view of its latest snapshot cached and, once the
   * load balancer asks for it, a kdiscovery {@link LoadBalancer} bound to it.
   */
  final class Entry {
    private final String serviceId;
    private final ServiceKey key;
    private final ServiceHandle handle;
    private final long deadlineNanos;
    private final boolean byName;
    private final AtomicBoolean found;
    private volatile InstanceView view;
    private volatile BalancedService balanced;
    private volatile boolean closed;

    private Entry(String serviceId, ServiceKey key, ServiceHandle handle, boolean byName) {
      this.serviceId = serviceId;
      this.key = key;
      this.handle = handle;
      this.byName = byName;
      this.found = new AtomicBoolean(!byName); // the catalog's Services exist
      this.deadlineNanos = ticker.read() + properties.getInitialWaitTimeout().toNanos();
    }

    /** {@code name} in the default namespace, {@code name.namespace} elsewhere. */
    String serviceId() {
      return serviceId;
    }

    ServiceKey key() {
      return key;
    }

    ServiceHandle handle() {
      return handle;
    }

    /** What is left of the first snapshot's wait; zero or less once the deadline passed. */
    Duration remainingWait() {
      return Duration.ofNanos(deadlineNanos - ticker.read());
    }

    /**
     * The latest snapshot, the first waited for until this entry's deadline.
     *
     * @throws KDiscoveryUnavailableException when there is none by the deadline
     */
    ServiceSnapshot awaitSnapshot() {
      Optional<ServiceSnapshot> latest = handle.snapshot();
      if (latest.isPresent()) {
        return latest.get();
      }
      Duration remaining = remainingWait();
      if ((!remaining.isNegative() && !remaining.isZero())) {
        try {
          ServiceSnapshot first = handle.awaitSnapshot(remaining);
          return handle.snapshot().orElse(first);
        } catch (SnapshotTimeoutException e) {
          throw unavailable(e);
        }
      }
      throw unavailable(null);
    }

    KDiscoveryUnavailableException unavailable(Throwable cause) {
      String detail = handle.status().detail();
      String where = catalog != null ? catalog.apiServerUrl() : discovery.sourceName();
      return new KDiscoveryUnavailableException("kdiscovery has no table of " + key + " (service id '" + serviceId
          + "') from " + where + " within " + properties.getInitialWaitTimeout()
          + " (kdiscovery.initial-wait-timeout): " + (detail != null ? detail : "no answer yet")
          + "; failing fast until the source answers", where, cause);
    }

    /** The Spring view of {@code snapshot}, computed once per snapshot, Service object and pod metadata version. */
    InstanceView view(ServiceSnapshot snapshot) {
      Service service = currentService();
      PodMetadataWatch podWatch = pods;
      long podVersion = podWatch == null ? 0 : podWatch.version();
      InstanceView current = view;
      if (current != null && current.snapshot() == snapshot && current.service() == service
          && current.podVersion() == podVersion) {
        return current;
      }
      InstanceView fresh = InstanceView.of(key.name(), snapshot, service, properties, podWatch);
      if (current == null || current.snapshot().version() <= snapshot.version()) {
        view = fresh;
      }
      return fresh;
    }

    /** The Service object as the catalog holds it now, without waiting; null when unknown. */
    private Service currentService() {
      return catalog == null ? null : catalog.peek(key.namespace(), key.name()).orElse(null);
    }

    /** The balancer if the load balancer has asked for one, else null; never creates it. */
    BalancedService balancedIfPresent() {
      return balanced;
    }

    /** The kdiscovery balancer of this entry, bound to its table on first use. */
    BalancedService balanced(String balancingId) {
      BalancedService b = balanced;
      if (b == null) {
        synchronized (this) {
          b = balanced;
          if (b == null) {
            b = discovery.balance(key, zoned(balancerSettings(balancingId)));
            balanced = b;
          }
        }
      }
      return b;
    }

    /** Whether the directory closed this entry (its Service changed its primary port, or the application stops). */
    boolean isClosed() {
      return closed;
    }

    /** Whether its Service is known to exist: from the catalog, or found by its source. */
    boolean isFound() {
      return found.get();
    }

    private synchronized void close() {
      if (closed) {
        return;
      }
      closed = true;
      if (balanced != null) {
        balanced.close();
      }
      handle.close();
    }
  }
}
