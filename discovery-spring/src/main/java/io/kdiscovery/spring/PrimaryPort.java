package io.kdiscovery.spring;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServicePort;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Which of a Service's ports a {@code ServiceInstance} stands for, and what else is known of its ports.
 *
 * <p>Stateless. The primary port is the only port; else the one named by the Service's
 * {@code primary-port-name} label; else the configured port name; else {@code https}; else
 * {@code http}; else the first port (Spring Cloud Kubernetes' order). It is watched by number, so its
 * pods' port is known exactly.
 */
final class PrimaryPort {

  /** The SRV port name the DNS source looks up when none is configured. */
  static final String DNS_DEFAULT_PORT_NAME = "http";

  /** The key of an unnamed port in the metadata, as Spring Cloud Kubernetes writes it. */
  static final String UNSET_PORT_NAME = "<unset>";

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PrimaryPort.class);

  private PrimaryPort() {}

  /** The Service label that names its primary port, as Spring Cloud Kubernetes reads it. */
  static final String PRIMARY_PORT_NAME_LABEL = "primary-port-name";

  /**
   * The primary port's number, as a key's port; empty when the Service has no ports. The order is
   * Spring Cloud Kubernetes': the only port; the port named by the Service's {@code primary-port-name}
   * label; the configured name; {@code https}; {@code http}; the first port.
   */
  static Optional<String> choose(Service service, String configuredName) {
    ServiceSpec spec = service.getSpec();
    List<io.fabric8.kubernetes.api.model.ServicePort> ports = spec == null || spec.getPorts() == null
        ? List.of() : spec.getPorts();
    if (ports.isEmpty()) {
      return Optional.empty();
    }
    if (ports.size() > 1) {
      Map<String, String> labels = service.getMetadata().getLabels();
      String labelled = labels == null ? null : labels.get(PRIMARY_PORT_NAME_LABEL);
      for (String name : new String[] {labelled, configuredName, "https", "http"}) {
        if (name == null || name.isBlank()) {
          continue;
        }
        for (io.fabric8.kubernetes.api.model.ServicePort port : ports) {
          if (name.equals(port.getName())) {
            return Optional.of(Integer.toString(port.getPort()));
          }
        }
      }
      log.warn("Service {}.{} has several ports and none is named by a primary-port-name label, "
          + "kdiscovery.port-name, 'https' or 'http': its first port ({}) is the primary port",
          service.getMetadata().getName(), service.getMetadata().getNamespace(), ports.get(0).getPort());
    }
    return Optional.of(Integer.toString(ports.get(0).getPort()));
  }

  static String dnsPortName(String configuredName) {
    return configuredName == null || configuredName.isBlank() ? DNS_DEFAULT_PORT_NAME : configuredName;
  }

  /** The values of a {@code secured} label or annotation that make a Service secure, as in Spring Cloud Kubernetes. */
  private static final java.util.Set<String> TRUTHY = java.util.Set.of("true", "on", "yes", "1");

  /**
   * Whether clients speak TLS to a pod, in Spring Cloud Kubernetes' order: the Service's
   * {@code secured} label or annotation is true/on/yes/1; the pod's port is one of
   * {@code knownSecurePorts}; the port is named {@code https}. kdiscovery adds: a port whose name
   * starts with {@code https-} or whose {@code appProtocol} is {@code https}. A port the Service does
   * not describe (the DNS source) is judged by the key's port name.
   */
  /** Whether the Service's {@code secured} label or annotation is true/on/yes/1. */
  static boolean securedByLabel(Map<String, String> labels, Map<String, String> annotations) {
    return TRUTHY.contains(labels.getOrDefault("secured", "")) || TRUTHY.contains(annotations.getOrDefault("secured", ""));
  }

  static boolean secure(ServicePort port, ServiceKey key, int podPort, Map<String, String> labels,
      Map<String, String> annotations, java.util.Set<Integer> knownSecurePorts) {
    if (securedByLabel(labels, annotations)) {
      return true;
    }
    if (knownSecurePorts.contains(podPort)) {
      return true;
    }
    String name = (port != null ? port.name() : key.hasPortNumber() ? "" : key.port()).toLowerCase(Locale.ROOT);
    String appProtocol = port != null && port.appProtocol() != null
        ? port.appProtocol().toLowerCase(Locale.ROOT) : "";
    return name.equals("https") || name.startsWith("https-") || appProtocol.equals("https");
  }

  /**
   * The pods' port of each Service port, by port name (the number for an unnamed port): the primary
   * port's from its endpoints, the others' from a numeric {@code targetPort}. A port whose
   * {@code targetPort} is a container port name is left out: only a watch of that port would tell
   * its number.
   */
  static Map<String, Integer> podPorts(ServiceInfo service, ServiceKey key, int primaryPodPort) {
    Map<String, Integer> ports = new LinkedHashMap<>();
    ServicePort primary = service.port(key);
    for (ServicePort port : service.ports()) {
      String name = port.name().isEmpty() ? UNSET_PORT_NAME : port.name();
      if (port.equals(primary)) {
        ports.put(name, primaryPodPort);
      } else if (port.targetPort().isEmpty()) {
        ports.put(name, port.port());
      } else if (port.targetPort().chars().allMatch(Character::isDigit)) {
        ports.put(name, Integer.parseInt(port.targetPort()));
      }
    }
    if (primary == null) {
      ports.put(key.port(), primaryPodPort);
    }
    return ports;
  }
}
