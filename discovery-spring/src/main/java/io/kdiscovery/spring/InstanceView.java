package io.kdiscovery.spring;

import io.fabric8.kubernetes.api.model.Service;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServicePort;
import io.kdiscovery.model.ServiceSnapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.cloud.client.ServiceInstance;

/**
 * The {@code ServiceInstance}s of one snapshot: its usable pods by the model's one rule
 * ({@link ServiceSnapshot#usableEndpoints()}: ready and serving, or when none is, serving while
 * terminating), plus the others when {@code include-not-ready-addresses} asks for them.
 *
 * <p>Immutable and thread-safe; computed once per snapshot (and Service object) and shared by every
 * reader. Metadata is what Spring Cloud Kubernetes publishes — the Service's labels, annotations and
 * ports (each switchable, with prefixes), {@code k8s_namespace} and {@code type} — then kdiscovery's own
 * keys ({@code namespace}, {@code zone}, {@code node}, {@code hostname}, {@code pod}) only where the
 * Service has not put the same key already.
 *
 * @param snapshot the snapshot this view shows
 * @param service the Service object it was built with, or null (the DNS source)
 * @param instances the pods returned by getInstances, usable ones first, in the snapshot's order
 * @param byHostPort every usable pod by {@code address:port}, for turning a pick into an instance
 * @param podVersion the {@link PodMetadataWatch#version()} the pods' metadata was read at (0 without one)
 */
record InstanceView(ServiceSnapshot snapshot, Service service, List<ServiceInstance> instances,
    Map<String, KDiscoveryServiceInstance> byHostPort, long podVersion) {

  /**
   * @param pods the pods' labels and annotations, or null when neither is asked for
   */
  static InstanceView of(String serviceId, ServiceSnapshot snapshot, Service service, KDiscoveryProperties properties,
      PodMetadataWatch pods) {
    long podVersion = pods == null ? 0 : pods.version(); // read first: a later change makes the view stale
    List<Endpoint> usable = snapshot.usableEndpoints();
    Set<Endpoint> listed = new LinkedHashSet<>(usable);
    if (properties.isIncludeNotReadyAddresses()) {
      listed.addAll(snapshot.endpoints());
    }
    Map<String, String> labels = service != null && service.getMetadata().getLabels() != null
        ? service.getMetadata().getLabels() : snapshot.service().labels();
    Map<String, String> annotations = service != null && service.getMetadata().getAnnotations() != null
        ? service.getMetadata().getAnnotations() : Map.of();
    ServicePort port = snapshot.service().port(snapshot.key());
    KDiscoveryProperties.Metadata settings = properties.getMetadata();
    Map<String, String> common = serviceMetadata(labels, annotations, snapshot.key().namespace(), service, settings);
    List<ServiceInstance> instances = new ArrayList<>(listed.size());
    Map<String, KDiscoveryServiceInstance> byHostPort = new HashMap<>();
    for (Endpoint endpoint : listed) {
      Map<String, String> metadata = new LinkedHashMap<>(common);
      if (settings.isAddPorts()) {
        PrimaryPort.podPorts(snapshot.service(), snapshot.key(), endpoint.port())
            .forEach((name, number) -> metadata.put(settings.getPortsPrefix() + name, Integer.toString(number)));
      }
      Map<String, Map<String, String>> podMetadata = pods == null ? Map.of()
          : pods.podMetadata(snapshot.key().namespace(), endpoint.podName());
      podKeys(metadata, endpoint.zone(), endpoint.nodeName(), endpoint.hostname(), endpoint.podName(), podMetadata);
      boolean secure = PrimaryPort.secure(port, snapshot.key(), endpoint.port(), labels, annotations,
          properties.getKnownSecurePorts());
      KDiscoveryServiceInstance instance = new KDiscoveryServiceInstance(serviceId, endpoint, secure, metadata,
          snapshot.key().namespace(), podMetadata);
      instances.add(instance);
      byHostPort.put(endpoint.hostPort(), instance);
    }
    return new InstanceView(snapshot, service, List.copyOf(instances), Map.copyOf(byHostPort), podVersion);
  }

  /**
   * Spring Cloud Kubernetes' Service-level keys: labels, annotations (each switchable, with its
   * prefix), {@code k8s_namespace}, {@code type}; then kdiscovery's {@code namespace} where the
   * Service has not set it.
   */
  static Map<String, String> serviceMetadata(Map<String, String> labels, Map<String, String> annotations,
      String namespace, Service service, KDiscoveryProperties.Metadata settings) {
    Map<String, String> common = new LinkedHashMap<>();
    if (settings.isAddLabels()) {
      labels.forEach((k, v) -> common.put(settings.getLabelsPrefix() + k, v));
    }
    if (settings.isAddAnnotations()) {
      annotations.forEach((k, v) -> common.put(settings.getAnnotationsPrefix() + k, v));
    }
    common.put("k8s_namespace", namespace);
    common.put("type", typeOf(service));
    common.putIfAbsent("namespace", namespace);
    return common;
  }

  /**
   * kdiscovery's pod-level keys where the Service has not set them; then, as Spring Cloud Kubernetes
   * does, a pod's {@code zone} label as the zone.
   */
  static void podKeys(Map<String, String> metadata, String zone, String node, String hostname, String pod,
      Map<String, Map<String, String>> podMetadata) {
    putIfAbsent(metadata, "zone", zone);
    putIfAbsent(metadata, "node", node);
    putIfAbsent(metadata, "hostname", hostname);
    putIfAbsent(metadata, "pod", pod);
    Map<String, String> podLabels = podMetadata.get("labels");
    if (podLabels != null && podLabels.get("zone") != null) {
      metadata.put("zone", podLabels.get("zone"));
    }
  }

  /** The one instance of an ExternalName Service: its external name as host, port -1, as Spring Cloud Kubernetes does. */
  static ServiceInstance externalName(Service service, KDiscoveryProperties properties) {
    KDiscoveryProperties.Metadata settings = properties.getMetadata();
    Map<String, String> metadata = new LinkedHashMap<>();
    if (settings.isAddLabels() && service.getMetadata().getLabels() != null) {
      service.getMetadata().getLabels().forEach((k, v) -> metadata.put(settings.getLabelsPrefix() + k, v));
    }
    if (settings.isAddAnnotations() && service.getMetadata().getAnnotations() != null) {
      service.getMetadata().getAnnotations().forEach((k, v) -> metadata.put(settings.getAnnotationsPrefix() + k, v));
    }
    metadata.put("k8s_namespace", service.getMetadata().getNamespace());
    metadata.put("type", typeOf(service));
    metadata.putIfAbsent("namespace", service.getMetadata().getNamespace());
    // SCK's instance id is the Service's uid; the catalog does not carry it, so namespace/name stands in.
    String id = service.getMetadata().getUid() != null ? service.getMetadata().getUid()
        : service.getMetadata().getNamespace() + "/" + service.getMetadata().getName();
    return new ExternalNameServiceInstance(service.getMetadata().getName(), service.getSpec().getExternalName(),
        id, metadata);
  }

  private static String typeOf(Service service) {
    return service != null && service.getSpec() != null && service.getSpec().getType() != null
        ? service.getSpec().getType() : "ClusterIP";
  }

  private static void putIfAbsent(Map<String, String> metadata, String key, String value) {
    if (value != null) {
      metadata.putIfAbsent(key, value);
    }
  }
}
