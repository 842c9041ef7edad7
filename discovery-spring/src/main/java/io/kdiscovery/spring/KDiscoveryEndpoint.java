package io.kdiscovery.spring;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.SourceStatus;
import io.kdiscovery.table.WatchedService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * The Actuator endpoint {@code kdiscovery}: every watched Service port's live table, with each
 * endpoint's conditions and zone, the snapshot's version and age, and the watch's status.
 *
 * <p>Thread-safe; each read takes one consistent snapshot per Service. Exposed over HTTP once
 * {@code management.endpoints.web.exposure.include} names {@code kdiscovery}.
 */
@org.springframework.boot.actuate.endpoint.annotation.Endpoint(id = "kdiscovery")
public final class KDiscoveryEndpoint {

  private final KDiscovery discovery;
  private final Clock clock;

  KDiscoveryEndpoint(KDiscovery discovery, Clock clock) {
    this.discovery = discovery;
    this.clock = clock;
  }

  /** {@code {"source": ..., "services": [{"service": "web.default:80", "status": {...}, ...}]}}. */
  @ReadOperation
  public Map<String, Object> table() {
    Instant now = clock.instant();
    List<Map<String, Object>> services = new ArrayList<>();
    for (WatchedService watched : discovery.table().services()) {
      services.add(describe(watched, now));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("source", discovery.sourceName());
    body.put("services", services);
    return body;
  }

  static Map<String, Object> describe(WatchedService watched, Instant now) {
    Map<String, Object> service = new LinkedHashMap<>();
    service.put("service", watched.key().toString());
    service.put("users", watched.users());
    service.put("status", status(watched.status(), now));
    watched.snapshot().ifPresent(snapshot -> service.put("snapshot", snapshot(snapshot, now)));
    return service;
  }

  private static Map<String, Object> status(SourceStatus status, Instant now) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("state", status.state().name());
    map.put("since", status.since().toString());
    map.put("lastSyncedAt", status.lastSyncedAt() == null ? null : status.lastSyncedAt().toString());
    map.put("staleness", status.staleness(now).toString());
    map.put("detail", status.detail());
    return map;
  }

  private static Map<String, Object> snapshot(ServiceSnapshot snapshot, Instant now) {
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
      endpoints.add(endpoint);
    }
    map.put("endpoints", endpoints);
    return map;
  }
}
