package io.kdiscovery.spring;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kdiscovery.model.RoutableAddresses;
import io.kdiscovery.model.EndpointConditions;
import io.kdiscovery.model.Usability;
import io.kdiscovery.time.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.client.ServiceInstance;

/**
 * The pods of headless Services without ports, which Spring Cloud Kubernetes lists with port 0.
 *
 * <p>The core keeps its tables per Service port, and every endpoint it holds has a port to dial
 * (1-65535), which all its pickers rely on; a Service that names no port has no such table. So this
 * class reads those Services' EndpointSlices itself: one informer per such Service (selected by the
 * {@code kubernetes.io/service-name} label), started at its first lookup and kept for the
 * application's lifetime. Only the {@code DiscoveryClient} lists them; the load balancer does not pick
 * them (there is no port to send a request to).
 *
 * <p>Thread-safe. A lookup waits for a Service's first list at most until
 * {@code kdiscovery.initial-wait-timeout} after its first lookup, then fails fast with
 * {@link KDiscoveryUnavailableException} until the list arrives; later lookups read the informer's
 * store and send nothing to the API server.
 */
final class PortlessEndpoints implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PortlessEndpoints.class);

  private final KubernetesClient client;
  private final String apiServerUrl;
  private final Duration initialWait;
  private final Ticker ticker;
  private final Runnable onChange;
  private final RoutableAddresses routable;
  private final java.util.Set<String> skippedLogged = ConcurrentHashMap.newKeySet(); // one line per address
  private final Map<String, Feed> feeds = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** @param onChange called (on an informer thread) when a watched Service's slices change */
  PortlessEndpoints(KubernetesClient client, String apiServerUrl, Duration initialWait, Ticker ticker,
      RoutableAddresses.Loopback loopback, Runnable onChange) {
    this.client = client;
    java.net.URL url = client.getMasterUrl();
    this.routable = RoutableAddresses.of(loopback, url != null && RoutableAddresses.isLoopbackHost(url.getHost()));
    this.apiServerUrl = apiServerUrl;
    this.initialWait = initialWait;
    this.ticker = ticker;
    this.onChange = onChange;
  }

  /** Whether {@code service} is headless and names no port: the Services this class serves. */
  static boolean isPortlessHeadless(Service service) {
    return service.getSpec() != null && "None".equals(service.getSpec().getClusterIP())
        && (service.getSpec().getPorts() == null || service.getSpec().getPorts().isEmpty());
  }

  /**
   * The instances of {@code service}, by the model's usable rule (all with
   * {@code include-not-ready-addresses}), with the metadata {@link InstanceView} gives any instance.
   *
   * @param pods the pods' labels and annotations, or null
   * @throws KDiscoveryUnavailableException when the first list has not arrived by its deadline
   */
  List<ServiceInstance> instances(String serviceId, Service service, KDiscoveryProperties properties,
      PodMetadataWatch pods) {
    String namespace = service.getMetadata().getNamespace();
    String name = service.getMetadata().getName();
    Feed feed = feeds.computeIfAbsent(namespace + "/" + name, key -> open(namespace, name));
    feed.awaitFirstList(namespace + "/" + name);
    Map<String, Map.Entry<Endpoint, EndpointConditions>> byAddress = new LinkedHashMap<>();
    for (EndpointSlice slice : feed.informer.getStore().list()) {
      if (slice.getEndpoints() == null || !("IPv4".equals(slice.getAddressType()) || "IPv6".equals(slice.getAddressType()))) {
        continue;
      }
      for (Endpoint e : slice.getEndpoints()) {
        if (e == null || e.getAddresses() == null || e.getAddresses().isEmpty() || e.getAddresses().get(0) == null) {
          continue;
        }
        String refusal = routable.refusal(e.getAddresses().get(0));
        if (refusal != null) { // the model's one rule, as for every other source
          if (skippedLogged.size() < 1024 && skippedLogged.add(e.getAddresses().get(0))) {
            log.warn("EndpointSlice {}/{}: endpoint {} skipped: {}", namespace, slice.getMetadata().getName(),
                e.getAddresses().get(0), refusal);
          }
          continue;
        }
        var c = e.getConditions();
        EndpointConditions conditions = c == null ? EndpointConditions.READY
            : EndpointConditions.of(c.getReady(), c.getServing(), c.getTerminating());
        byAddress.putIfAbsent(e.getAddresses().get(0), Map.entry(e, conditions));
      }
    }
    boolean anyInService = byAddress.values().stream().anyMatch(x -> Usability.inService(x.getValue()));
    Map<String, String> labels = orEmpty(service.getMetadata().getLabels());
    Map<String, String> annotations = orEmpty(service.getMetadata().getAnnotations());
    Map<String, String> common = InstanceView.serviceMetadata(labels, annotations, namespace, service,
        properties.getMetadata());
    boolean secure = PrimaryPort.securedByLabel(labels, annotations);
    List<ServiceInstance> usable = new ArrayList<>();
    List<ServiceInstance> others = new ArrayList<>();
    byAddress.forEach((address, x) -> {
      Endpoint e = x.getKey();
      boolean isUsable = anyInService ? Usability.inService(x.getValue()) : Usability.fallback(x.getValue());
      if (!isUsable && !properties.isIncludeNotReadyAddresses()) {
        return;
      }
      String podName = e.getTargetRef() != null && "Pod".equals(e.getTargetRef().getKind())
          ? e.getTargetRef().getName() : null;
      String uid = podName != null ? e.getTargetRef().getUid() : null;
      Map<String, Map<String, String>> podMetadata = pods == null ? Map.of() : pods.podMetadata(namespace, podName);
      Map<String, String> metadata = new LinkedHashMap<>(common);
      InstanceView.podKeys(metadata, e.getZone(), e.getNodeName(), e.getHostname(), podName, podMetadata);
      String id = PodServiceInstance.instanceId(uid, podName, address);
      (isUsable ? usable : others).add(
          new PortlessServiceInstance(serviceId, id, address, secure, metadata, namespace, podMetadata));
    });
    usable.addAll(others);
    return usable;
  }

  private static Map<String, String> orEmpty(Map<String, String> map) {
    return map == null ? Map.of() : map;
  }

  private Feed open(String namespace, String name) {
    if (closed) {
      throw new IllegalStateException("kdiscovery is closed");
    }
    SharedIndexInformer<EndpointSlice> informer = client.discovery().v1().endpointSlices().inNamespace(namespace)
        .withLabel("kubernetes.io/service-name", name).runnableInformer(0);
    Feed feed = new Feed(informer, ticker.read() + initialWait.toNanos());
    // Keep retrying (with the client's backoff) also when the first list fails, as the core's watches do:
    // fabric8's default gives up on an informer whose start failed, which would leave the Service unlisted.
    informer.exceptionHandler((started, failure) -> {
      if (feed.lastFailure == null) {
        log.warn("kdiscovery cannot list the EndpointSlices of {}/{} (retrying): {}", namespace, name, failure.toString());
      }
      feed.lastFailure = failure;
      return true;
    });
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(EndpointSlice slice) {
        onChange.run();
      }

      @Override
      public void onUpdate(EndpointSlice before, EndpointSlice after) {
        onChange.run();
      }

      @Override
      public void onDelete(EndpointSlice slice, boolean deletedFinalStateUnknown) {
        onChange.run();
      }
    });
    log.info("kdiscovery watches the EndpointSlices of {}/{} (a headless Service without ports)", namespace, name);
    feed.synced = informer.start().toCompletableFuture();
    return feed;
  }

  @Override
  public void close() {
    closed = true;
    feeds.values().forEach(feed -> {
      try {
        feed.informer.close();
      } catch (RuntimeException e) {
        log.warn("kdiscovery could not close an EndpointSlice informer", e);
      }
    });
    feeds.clear();
  }

  /** One Service's informer, and when its first list is due. */
  private final class Feed {
    private final SharedIndexInformer<EndpointSlice> informer;
    private final long deadlineNanos;
    private volatile CompletableFuture<Void> synced;
    private volatile Throwable lastFailure;

    private Feed(SharedIndexInformer<EndpointSlice> informer, long deadlineNanos) {
      this.informer = informer;
      this.deadlineNanos = deadlineNanos;
    }

    void awaitFirstList(String service) {
      if (informer.hasSynced()) {
        return;
      }
      long remaining = deadlineNanos - ticker.read();
      Throwable cause = null;
      if (remaining > 0) {
        try {
          synced.get(remaining, TimeUnit.NANOSECONDS);
          return;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          cause = e;
        } catch (ExecutionException e) {
          cause = e.getCause();
        } catch (TimeoutException e) {
          cause = lastFailure;
        }
      } else {
        cause = lastFailure;
      }
      throw new KDiscoveryUnavailableException("kdiscovery has no list of the EndpointSlices of " + service
          + " (a headless Service without ports) from the Kubernetes API server at " + apiServerUrl + " within "
          + initialWait + " (kdiscovery.initial-wait-timeout)" + (cause != null ? ": " + cause : "")
          + "; failing fast until it answers", apiServerUrl, cause);
    }
  }
}
