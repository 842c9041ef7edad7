package io.kdiscovery.spring;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kdiscovery.time.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Services of the namespaces the application selected, kept live by fabric8 informers (one watch
 * of Services per namespace, or one for the whole cluster): what {@code getServices()} and every
 * lookup of a service id read, with no request to the API server per call.
 *
 * <p>Thread-safe. Nothing here blocks except {@link #awaitReady}, and that only until the namespace's
 * deadline: its informer's start plus {@code kdiscovery.initial-wait-timeout}. Past the deadline a
 * namespace whose first list has not arrived fails at once with {@link KDiscoveryUnavailableException}
 * (naming the API server's URL and the last error), so an unreachable API server costs one wait, not
 * one per request; the informer keeps retrying and the first complete list ends the failures. Once
 * listed, a namespace keeps its last good list through outages.
 *
 * <p>A namespace outside the selection (a service id {@code name.other}) gets an informer of its own
 * on first use. Changes (a Service added, changed or removed) are reported to the listener on the
 * informer's thread; it must not block.
 *
 * <p>Why a watch of its own and not the core's catalog: the Spring integration needs the Service
 * objects themselves (SpEL filters written for Spring Cloud Kubernetes evaluate fabric8's
 * {@code Service}), and it was built while the core's catalog was not yet available.
 */
final class ServiceCatalogWatch implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ServiceCatalogWatch.class);

  /** The key of the informer that watches every namespace. */
  private static final String ALL = "*";

  private final KubernetesClient client;
  private final Map<String, String> serviceLabels;
  private final Duration initialWait;
  private final Ticker ticker;
  private final Runnable onChange;
  private final boolean allNamespaces;
  private final List<String> selected;
  private final Map<String, NamespaceWatch> watches = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * @param client the catalog's own client, closed with it
   * @param selected the namespaces searched for unqualified service ids and listed by
   *     {@link #selectedServices()}; ignored when {@code allNamespaces}
   */
  ServiceCatalogWatch(KubernetesClient client, boolean allNamespaces, List<String> selected,
      Map<String, String> serviceLabels, Duration initialWait, Ticker ticker, Runnable onChange) {
    this.client = client;
    this.allNamespaces = allNamespaces;
    this.selected = List.copyOf(selected);
    this.serviceLabels = Map.copyOf(serviceLabels);
    this.initialWait = initialWait;
    this.ticker = ticker;
    this.onChange = onChange;
  }

  /** Starts the selection's informers without waiting for them. */
  void start() {
    if (allNamespaces) {
      watch(ALL);
    } else {
      selected.forEach(this::watch);
    }
  }

  boolean allNamespaces() {
    return allNamespaces;
  }

  List<String> selectedNamespaces() {
    return selected;
  }

  /** The API server's URL, for messages. */
  String apiServerUrl() {
    return client.getMasterUrl() == null ? "(no master URL)" : client.getMasterUrl().toString();
  }

  /**
   * Every Service of the selection, waiting for the first lists as {@link #awaitReady} does.
   *
   * @throws KDiscoveryUnavailableException when a selected namespace has not been listed by its deadline
   */
  List<Service> selectedServices() {
    List<Service> services = new ArrayList<>();
    for (NamespaceWatch watch : selectionWatches()) {
      awaitReady(watch);
      services.addAll(watch.informer.getStore().list());
    }
    services.sort(Comparator.comparing((Service s) -> s.getMetadata().getNamespace())
        .thenComparing(s -> s.getMetadata().getName()));
    return services;
  }

  /** The Services named {@code name} in the selection, by namespace. */
  List<Service> servicesNamed(String name) {
    List<Service> found = new ArrayList<>();
    for (NamespaceWatch watch : selectionWatches()) {
      awaitReady(watch);
      if (watch.namespace.equals(ALL)) {
        for (Service service : watch.informer.getStore().list()) {
          if (name.equals(service.getMetadata().getName())) {
            found.add(service);
          }
        }
      } else {
        Service service = watch.informer.getStore().getByKey(watch.namespace + "/" + name);
        if (service != null) {
          found.add(service);
        }
      }
    }
    found.sort(Comparator.comparing(s -> s.getMetadata().getNamespace()));
    return found;
  }

  /** The Service {@code namespace/name}, watching {@code namespace} from now on if it is outside the selection. */
  Optional<Service> service(String namespace, String name) {
    NamespaceWatch watch = allNamespaces ? watch(ALL) : watch(namespace);
    awaitReady(watch);
    return Optional.ofNullable(watch.informer.getStore().getByKey(namespace + "/" + name));
  }

  /** The Service {@code namespace/name} as known now, never waiting; empty when unknown or not listed yet. */
  Optional<Service> peek(String namespace, String name) {
    NamespaceWatch watch = watches.get(allNamespaces ? ALL : namespace);
    return watch == null ? Optional.empty()
        : Optional.ofNullable(watch.informer.getStore().getByKey(namespace + "/" + name));
  }

  /** Whether every selected namespace has been listed. */
  boolean isReady() {
    return selectionWatches().stream().allMatch(w -> w.informer.hasSynced());
  }

  /**
   * The last error of the selection's informers, or null; for the auto source, which falls back to
   * DNS when the API server forbids reading Services.
   */
  Throwable lastError() {
    for (NamespaceWatch watch : selectionWatches()) {
      if (watch.lastError != null) {
        return watch.lastError;
      }
    }
    return null;
  }

  private List<NamespaceWatch> selectionWatches() {
    if (allNamespaces) {
      return List.of(watch(ALL));
    }
    List<NamespaceWatch> result = new ArrayList<>(selected.size());
    for (String namespace : selected) {
      result.add(watch(namespace));
    }
    return result;
  }

  private NamespaceWatch watch(String namespace) {
    NamespaceWatch existing = watches.get(namespace);
    if (existing != null) {
      return existing;
    }
    if (closed) {
      throw new IllegalStateException("kdiscovery's Service catalog is closed");
    }
    return watches.computeIfAbsent(namespace, this::startWatch);
  }

  private NamespaceWatch startWatch(String namespace) {
    SharedIndexInformer<Service> informer = (namespace.equals(ALL)
        ? client.services().inAnyNamespace().withLabels(serviceLabels)
        : client.services().inNamespace(namespace).withLabels(serviceLabels))
        .runnableInformer(0);
    NamespaceWatch watch = new NamespaceWatch(namespace, informer, ticker.read() + initialWait.toNanos());
    informer.exceptionHandler((started, error) -> {
      watch.lastError = error;
      log.debug("kdiscovery's watch of Services in {} failed at {}; retrying", watch.describe(), apiServerUrl(), error);
      return !closed; // keep retrying: the next complete list ends the fail-fast period
    });
    informer.addEventHandler(new ResourceEventHandler<Service>() {
      @Override
      public void onAdd(Service service) {
        onChange.run();
      }

      @Override
      public void onUpdate(Service before, Service after) {
        onChange.run();
      }

      @Override
      public void onDelete(Service service, boolean finalStateUnknown) {
        onChange.run();
      }
    });
    informer.start().whenComplete((ignored, error) -> {
      if (error == null) {
        watch.lastError = null;
        log.info("kdiscovery watches Services in {} ({} found)", watch.describe(), informer.getStore().list().size());
        watch.synced.complete(null);
      } else if (!closed) {
        log.warn("kdiscovery's watch of Services in {} stopped at {}", watch.describe(), apiServerUrl(), error);
      }
    });
    return watch;
  }

  /**
   * Returns once {@code watch} has its first complete list; waits at most until its deadline.
   *
   * @throws KDiscoveryUnavailableException when the deadline passed without a list
   */
  private void awaitReady(NamespaceWatch watch) {
    if (watch.informer.hasSynced()) {
      return;
    }
    long remaining = watch.deadlineNanos - ticker.read();
    if (remaining > 0) {
      try {
        watch.synced.get(remaining, TimeUnit.NANOSECONDS);
        return;
      } catch (TimeoutException | ExecutionException e) {
        // Fall through: the failure below names the informer's own last error.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new KDiscoveryUnavailableException("interrupted while waiting for the Services of "
            + watch.describe(), apiServerUrl(), e);
      }
      if (watch.informer.hasSynced()) {
        return;
      }
    }
    Throwable cause = watch.lastError;
    throw new KDiscoveryUnavailableException("kdiscovery has no list of the Services in " + watch.describe()
        + " from the Kubernetes API server at " + apiServerUrl() + " within " + initialWait
        + " (kdiscovery.initial-wait-timeout): " + rootCause(cause)
        + "; failing fast until the API server answers", apiServerUrl(), cause);
  }

  /** The deepest cause's type and message, e.g. {@code ConnectException: Connection refused}. */
  static String rootCause(Throwable error) {
    if (error == null) {
      return "no answer yet";
    }
    Throwable root = error;
    Set<Throwable> seen = new java.util.HashSet<>();
    while (root.getCause() != null && seen.add(root)) {
      root = root.getCause();
    }
    String text = root.getClass().getSimpleName() + ": " + root.getMessage();
    if (error instanceof KubernetesClientException k && k.getCode() > 0) {
      text = "HTTP " + k.getCode() + " " + k.getMessage() + (root == error ? "" : " (" + text + ")");
    }
    return text;
  }

  @Override
  public void close() {
    closed = true;
    watches.values().forEach(w -> w.informer.close());
    watches.clear();
    client.close();
  }

  /** One informer and its fail-fast deadline. */
  private static final class NamespaceWatch {
    final String namespace;
    final SharedIndexInformer<Service> informer;
    final long deadlineNanos;
    final CompletableFuture<Void> synced = new CompletableFuture<>();
    volatile Throwable lastError;

    NamespaceWatch(String namespace, SharedIndexInformer<Service> informer, long deadlineNanos) {
      this.namespace = namespace;
      this.informer = informer;
      this.deadlineNanos = deadlineNanos;
    }

    String describe() {
      return namespace.equals(ALL) ? "all namespaces" : "namespace " + namespace;
    }
  }
}
