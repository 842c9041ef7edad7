package io.kdiscovery.spring;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServicePort;
import io.kdiscovery.model.ServiceSnapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.cloud.client.ServiceInstance;

/**
 * The {@code ServiceInstance}s of one snapshot: its usable pods, the ready ones, or when none is ready
 * the ones serving while terminating (kube-proxy's fallback, as the core's balancer does).
 *
 * <p>Immutable and thread-safe; computed once per snapshot and shared by every reader.
 *
 * @param snapshot the snapshot this view shows
 * @param instances the usable pods, in the snapshot's order
 * @param byHostPort every usable pod by {@code address:port}, for turning a pick into an instance
 */
record InstanceView(ServiceSnapshot snapshot, List<ServiceInstance> instances,
    Map<String, KDiscoveryServiceInstance> byHostPort) {

  static InstanceView of(String serviceId, ServiceSnapshot snapshot) {
    List<Endpoint> usable = snapshot.readyEndpoints();
    if (usable.isEmpty()) {
      usable = snapshot.endpoints().stream().filter(e -> e.conditions().servingTerminating()).toList();
    }
    ServicePort port = snapshot.service().port(snapshot.key());
    boolean secure = PrimaryPort.secure(port, snapshot.key());
    Map<String, String> common = new LinkedHashMap<>(snapshot.service().labels());
    common.put("namespace", snapshot.key().namespace());
    List<ServiceInstance> instances = new ArrayList<>(usable.size());
    Map<String, KDiscoveryServiceInstance> byHostPort = new HashMap<>();
    for (Endpoint endpoint : usable) {
      Map<String, String> metadata = new LinkedHashMap<>(common);
      putIfKnown(metadata, "zone", endpoint.zone());
      putIfKnown(metadata, "node", endpoint.nodeName());
      putIfKnown(metadata, "hostname", endpoint.hostname());
      putIfKnown(metadata, "pod", endpoint.podName());
      PrimaryPort.podPorts(snapshot.service(), snapshot.key(), endpoint.port())
          .forEach((name, number) -> metadata.put("port." + name, Integer.toString(number)));
      KDiscoveryServiceInstance instance = new KDiscoveryServiceInstance(serviceId, endpoint, secure, metadata);
      instances.add(instance);
      byHostPort.put(endpoint.hostPort(), instance);
    }
    return new InstanceView(snapshot, List.copyOf(instances), Map.copyOf(byHostPort));
  }

  private static void putIfKnown(Map<String, String> metadata, String key, String value) {
    if (value != null) {
      metadata.put(key, value);
    }
  }
}
