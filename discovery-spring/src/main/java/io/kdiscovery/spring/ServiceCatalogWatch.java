package io.kdiscovery.spring;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.catalog.CatalogSnapshot;
import io.kdiscovery.catalog.ServiceCatalog;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServicePort;
import io.kdiscovery.table.SnapshotTimeoutException;
import io.kdiscovery.table.Subscription;
import io.kdiscovery.time.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Services of the namespaces the application selected, from the core's {@link ServiceCatalog}s
 * (one watch of Services per namespace, or one for the cluster): what {@code getServices()} and every
 * lookup of a service id read, with no request to the API server per call.
 *
 * <p>Thread-safe. Nothing here blocks except the first read of a namespace, and that only until its
 * deadline: the catalog's opening plus {@code kdiscovery.initial-wait-timeout}. Past the deadline a
 * namespace whose first list has not arrived fails at once with {@link KDiscoveryUnavailableException}
 * (naming the API server's URL and the catalog's root cause), so an unreachable API server costs one
 * wait, not one per request; the watch keeps retrying and its first list ends the failures. Once
 * listed, a namespace keeps its last good list through outages.
 *
 * <p>A namespace outside the selection (a service id {@code name.other}) gets a catalog of its own on
 * first use. Each changed list runs the change listener on a catalog listener thread.
 *
 * <p>Services are handed out as fabric8 {@code Service} objects rebuilt from the catalog's
 * {@link ServiceInfo} (once per list), so that SpEL filters written for Spring Cloud Kubernetes, which
 * evaluate fabric8's {@code Service}, keep working: {@code metadata.name}, {@code .namespace},
 * {@code .labels}, {@code .annotations} and {@code spec.type}, {@code .clusterIP},
 * {@code .externalName}, {@code .ports} are filled in.
 */
final class ServiceCatalogWatch implements AutoCloseable {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ServiceCatalogWatch.class);

  /** The key of the catalog of every namespace. */
  private static final String ALL = "*";

  private final KDiscovery discovery;
  private final String apiServerUrl;
  private final Map<String, String> serviceLabels;
  private final Duration initialWait;
  private final Ticker ticker;
  private final Runnable onChange;
  private final boolean allNamespaces;
  private final List<String> selected;
  private final Map<String, NamespaceCatalog> catalogs = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * @param selected the namespaces searched for unqualified service ids and listed by
   *     {@link #selectedServices()}; ignored when {@code allNamespaces}
   * @param serviceLabels only Services carrying all of these labels are seen
   */
  ServiceCatalogWatch(KDiscovery discovery, String apiServerUrl, boolean allNamespaces, List<String> selected,
      Map<String, String> serviceLabels, Duration initialWait, Ticker ticker, Runnable onChange) {
    this.discovery = discovery;
    this.apiServerUrl = apiServerUrl;
    this.allNamespaces = allNamespaces;
    this.selected = List.copyOf(selected);
    this.serviceLabels = Map.copyOf(serviceLabels);
    this.initialWait = initialWait;
    this.ticker = ticker;
    this.onChange = onChange;
  }

  /**
   * Opens the selection's catalogs without waiting for them; false when the application's
   * {@code KDiscovery} takes endpoints from a source that lists no Services (DNS, a custom source).
   */
  boolean start() {
    try {
      selection();
      return true;
    } catch (IllegalStateException e) {
      log.info("kdiscovery lists no Services: {}; service ids are looked up as {}:<port-name>", e.getMessage(),
          "<service>.<namespace>");
      close();
      return false;
    }
  }

  /** Whether the catalog is in use: started on a source that lists Services, and not closed. */
  boolean isOpen() {
    return !closed;
  }

  /** The API server's URL, for messages. */
  String apiServerUrl() {
    return apiServerUrl;
  }

  /**
   * Every Service of the selection, waiting for the first lists until their deadline.
   *
   * @throws KDiscoveryUnavailableException when a selected namespace has not been listed by its deadline
   */
  List<Service> selectedServices() {
    List<Service> services = new ArrayList<>();
    for (NamespaceCatalog catalog : selection()) {
      services.addAll(catalog.await().all);
    }
    return services;
  }

  /** The Services named {@code name} in the selection, by namespace. */
  List<Service> servicesNamed(String name) {
    List<Service> found = new ArrayList<>();
    for (NamespaceCatalog catalog : selection()) {
      List<Service> named = catalog.await().byName.get(name);
      if (named != null) {
        found.addAll(named);
      }
    }
    return found;
  }

  /** The Service {@code namespace/name}, listing {@code namespace} from now on if it is outside the selection. */
  Optional<Service> service(String namespace, String name) {
    return Optional.ofNullable(catalog(allNamespaces ? ALL : namespace).await().byId.get(namespace + "/" + name));
  }

  /** The Service {@code namespace/name} as known now, never waiting; empty when unknown or not listed yet. */
  Optional<Service> peek(String namespace, String name) {
    NamespaceCatalog catalog = catalogs.get(allNamespaces ? ALL : namespace);
    Services services = catalog == null ? null : catalog.now();
    return services == null ? Optional.empty() : Optional.ofNullable(services.byId.get(namespace + "/" + name));
  }

  /**
   * Whether the selection's catalogs report that the API server forbids listing Services (HTTP 401 or
   * 403), decided on the status's typed failure: its detail names the API server's URL, which may
   * contain any digits.
   */
  boolean forbidden() {
    for (NamespaceCatalog catalog : selection()) {
      if (catalog.now() == null && catalog.catalog.status().failure().deniesAccess()) {
        return true;
      }
    }
    return false;
  }

  private List<NamespaceCatalog> selection() {
    if (allNamespaces) {
      return List.of(catalog(ALL));
    }
    List<NamespaceCatalog> result = new ArrayList<>(selected.size());
    for (String namespace : selected) {
      result.add(catalog(namespace));
    }
    return result;
  }

  private NamespaceCatalog catalog(String namespace) {
    NamespaceCatalog existing = catalogs.get(namespace);
    if (existing != null) {
      return existing;
    }
    if (closed) {
      throw new IllegalStateException("kdiscovery's Service catalog is closed");
    }
    return catalogs.computeIfAbsent(namespace, ns -> new NamespaceCatalog(ns,
        ns.equals(ALL) ? discovery.catalogOfAllNamespaces() : discovery.catalog(ns)));
  }

  @Override
  public void close() {
    closed = true;
    catalogs.values().forEach(NamespaceCatalog::close);
    catalogs.clear();
  }

  /** One list of Services as fabric8 objects, indexed; built once per catalog snapshot. */
  private static final class Services {
    final long version;
    final List<Service> all;
    final Map<String, Service> byId;
    final Map<String, List<Service>> byName;

    Services(long version, List<Service> all) {
      this.version = version;
      this.all = List.copyOf(all);
      Map<String, Service> ids = new HashMap<>();
      Map<String, List<Service>> names = new HashMap<>();
      for (Service s : all) {
        ids.put(s.getMetadata().getNamespace() + "/" + s.getMetadata().getName(), s);
        names.computeIfAbsent(s.getMetadata().getName(), n -> new ArrayList<>(1)).add(s);
      }
      this.byId = ids;
      this.byName = names;
    }
  }

  /** One core catalog, its fail-fast deadline and its latest list as fabric8 objects. */
  private final class NamespaceCatalog {
    final String namespace;
    final ServiceCatalog catalog;
    final long deadlineNanos;
    final Subscription changes;
    volatile Services services;

    NamespaceCatalog(String namespace, ServiceCatalog catalog) {
      this.namespace = namespace;
      this.catalog = catalog;
      this.deadlineNanos = ticker.read() + initialWait.toNanos();
      this.changes = catalog.subscribe(snapshot -> onChange.run());
    }

    String describe() {
      return namespace.equals(ALL) ? "all namespaces" : "namespace " + namespace;
    }

    /** The latest list, or null before the first one. */
    Services now() {
      Optional<CatalogSnapshot> snapshot = catalog.snapshot();
      return snapshot.map(this::converted).orElse(null);
    }

    /**
     * The latest list, waiting for the first one until the deadline.
     *
     * @throws KDiscoveryUnavailableException when there is none by the deadline
     */
    Services await() {
      Services current = now();
      if (current != null) {
        return current;
      }
      long remaining = deadlineNanos - ticker.read();
      if (remaining > 0) {
        try {
          return converted(catalog.awaitSnapshot(Duration.ofNanos(remaining)));
        } catch (SnapshotTimeoutException e) {
          throw unavailable(e.getMessage(), e);
        }
      }
      String detail = catalog.status().detail();
      throw unavailable(detail != null ? detail : "no answer yet", null);
    }

    private KDiscoveryUnavailableException unavailable(String cause, Throwable error) {
      return new KDiscoveryUnavailableException("kdiscovery has no list of the Services in " + describe()
          + " from the Kubernetes API server at " + apiServerUrl + " within " + initialWait
          + " (kdiscovery.initial-wait-timeout): " + cause + "; failing fast until the API server answers",
          apiServerUrl, error);
    }

    private Services converted(CatalogSnapshot snapshot) {
      Services current = services;
      if (current != null && current.version == snapshot.version()) {
        return current;
      }
      List<Service> all = new ArrayList<>(snapshot.services().size());
      for (ServiceInfo info : snapshot.services()) {
        if (info.labels().entrySet().containsAll(serviceLabels.entrySet())) {
          all.add(toFabric8(info));
        }
      }
      Services fresh = new Services(snapshot.version(), all);
      if (current == null || current.version < fresh.version) {
        services = fresh;
      }
      return fresh;
    }

    void close() {
      changes.close();
      catalog.close();
    }
  }

  /** The fabric8 {@code Service} a SpEL filter and the port choice read, from the catalog's values. */
  static Service toFabric8(ServiceInfo info) {
    List<io.fabric8.kubernetes.api.model.ServicePort> ports = new ArrayList<>(info.ports().size());
    for (ServicePort port : info.ports()) {
      ServicePortBuilder builder = new ServicePortBuilder().withPort(port.port()).withProtocol(port.protocol())
          .withAppProtocol(port.appProtocol());
      if (!port.name().isEmpty()) {
        builder.withName(port.name());
      }
      if (!port.targetPort().isEmpty()) {
        builder.withTargetPort(port.targetPort().chars().allMatch(Character::isDigit)
            ? new IntOrString(Integer.parseInt(port.targetPort())) : new IntOrString(port.targetPort()));
      }
      ports.add(builder.build());
    }
    return new ServiceBuilder()
        .withNewMetadata().withNamespace(info.namespace()).withName(info.name())
        .withLabels(info.labels()).withAnnotations(info.annotations()).endMetadata()
        .withNewSpec().withType(typeName(info.type())).withClusterIP(info.clusterIp())
        .withExternalName(info.externalName()).withPorts(ports)
        .withPublishNotReadyAddresses(info.publishNotReadyAddresses())
        .endSpec().build();
  }

  private static String typeName(ServiceInfo.Type type) {
    return switch (type) {
      case CLUSTER_IP, HEADLESS, UNKNOWN -> "ClusterIP";
      case NODE_PORT -> "NodePort";
      case LOAD_BALANCER -> "LoadBalancer";
      case EXTERNAL_NAME -> "ExternalName";
    };
  }
}
