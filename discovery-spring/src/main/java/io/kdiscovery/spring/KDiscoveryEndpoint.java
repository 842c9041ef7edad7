package io.kdiscovery.spring;

import io.kdiscovery.BalancedService;
import io.kdiscovery.balancing.EndpointHealth;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.SourceStatus;
import io.kdiscovery.table.WatchedService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * The Actuator endpoint {@code kdiscovery}: every watched Service port's live table, with each
 * endpoint's conditions and zone, the snapshot's version and age, the watch's status and reconnects,
 * and, for the Services the load balancer picks from, each endpoint's ejection and requests in flight;
 * with Micrometer, each Service's network-programming latency (median, p90, p99, max; see {@link
 * KDiscoveryMetrics}).
 *
 * <p>Thread-safe; each read takes one consistent snapshot per Service. Exposed over HTTP once
 * {@code management.endpoints.web.exposure.include} names {@code kdiscovery}.
 */
@org.springframework.boot.actuate.endpoint.annotation.Endpoint(id = "kdiscovery")
public final class KDiscoveryEndpoint {

  private final ServiceDirectory directory;
  private final Clock clock;
  private final Function<ServiceKey, Map<String, Object>> programmingLatency;

  KDiscoveryEndpoint(ServiceDirectory directory, Clock clock) {
    this(directory, clock, key -> null);
  }

  /** @param programmingLatency a Service port's programming-latency view, or null when none */
  KDiscoveryEndpoint(ServiceDirectory directory, Clock clock,
      Function<ServiceKey, Map<String, Object>> programmingLatency) {
    this.directory = directory;
    this.clock = clock;
    this.programmingLatency = programmingLatency;
  }

  /** {@code {"source": ..., "services": [{"service": "web.default:80", "status": {...}, ...}]}}. */
  @ReadOperation
  public Map<String, Object> table() {
    Instant now = clock.instant();
    Map<ServiceKey, LoadBalancer> balancers = new HashMap<>();
    for (ServiceDirectory.Entry entry : directory.entries()) {
      BalancedService balanced = entry.balancedIfPresent();
      if (balanced != null) {
        balancers.put(entry.key(), balanced.balancer());
      }
    }
    List<Map<String, Object>> services = new ArrayList<>();
    for (WatchedService watched : directory.discovery().table().services()) {
      Map<String, Object> service = describe(watched, balancers.get(watched.key()), now);
      Map<String, Object> latency = programmingLatency.apply(watched.key());
      if (latency != null) {
        service.put("programmingLatency", latency);
      }
      services.add(service);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("source", directory.discovery().sourceName());
    body.put("location", location(directory.discovery().location()));
    body.put("services", services);
    return body;
  }

  /** One Service port; {@code balancer} is null when no load balancer picks from it. */
  static Map<String, Object> describe(WatchedService watched, LoadBalancer balancer, Instant now) {
    Map<String, Object> service = new LinkedHashMap<>();
    service.put("service", watched.key().toString());
    service.put("users", watched.users());
    Map<String, Object> status = status(watched.status(), watched.staleness());
    status.put("reconnects", watched.reconnects());
    service.put("status", status);
    Map<String, EndpointHealth> health = new HashMap<>();
    if (balancer != null) {
      service.put("ejections", balancer.ejections());
      balancer.health().forEach(h -> health.put(h.endpoint().hostPort(), h));
    }
    watched.snapshot().ifPresent(snapshot -> service.put("snapshot", snapshot(snapshot, health, now)));
    return service;
  }

  private static Map<String, Object> location(io.kdiscovery.model.Location location) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("zone", location.zone());
    map.put("node", location.node());
    return map;
  }

  private static Map<String, Object> status(SourceStatus status, Duration staleness) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("state", status.state().name());
    map.put("since", status.since().toString());
    map.put("lastSyncedAt", status.lastSyncedAt() == null ? null : status.lastSyncedAt().toString());
    map.put("staleness", staleness.toString()); // on the injected ticker, as the health indicator
    map.put("detail", status.detail());
    return map;
  }

  private static Map<String, Object> snapshot(ServiceSnapshot snapshot, Map<String, EndpointHealth> health,
      Instant now) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("version", snapshot.version());
    map.put("createdAt", snapshot.createdAt().toString());
    Duration age = Duration.between(snapshot.createdAt(), now);
    map.put("age", (age.isNegative() ? Duration.ZERO : age).toString());
    map.put("serviceFound", snapshot.serviceFound());
    map.put("type", snapshot.service().type().name());
    map.put("sessionAffinity", snapshot.service().sessionAffinity().name());
    List<Map<String, Object>> endpoints = new ArrayList<>();
    for (Endpoint e : snapshot.endpoints()) {
      Map<String, Object> endpoint = new LinkedHashMap<>();
      endpoint.put("address", e.address());
      endpoint.put("port", e.port());
      endpoint.put("pod", e.podName());
      endpoint.put("zone", e.zone());
      endpoint.put("node", e.nodeName());
      endpoint.put("hostname", e.hostname());
      endpoint.put("ready", e.conditions().ready());
      endpoint.put("serving", e.conditions().serving());
      endpoint.put("terminating", e.conditions().terminating());
      EndpointHealth h = health.get(e.hostPort());
      if (h != null) { // a usable endpoint of a Service the load balancer picks from
        endpoint.put("ejected", h.ejected());
        endpoint.put("ejectedFor", h.ejectedFor().toString());
        endpoint.put("ejections", h.ejections());
        endpoint.put("inFlight", h.inFlight());
      }
      endpoints.add(endpoint);
    }
    map.put("endpoints", endpoints);
    return map;
  }
}
