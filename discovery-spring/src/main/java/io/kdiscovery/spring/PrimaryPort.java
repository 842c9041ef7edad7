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
 * <p>Stateless. The primary port is the only port; else the configured port name; else {@code https};
 * else {@code http}; else the first port. It is watched by number, so its pods' port is known exactly.
 */
final class PrimaryPort {

  /** The SRV port name the DNS source looks up when none is configured. */
  static final String DNS_DEFAULT_PORT_NAME = "http";

  private PrimaryPort() {}

  /** The primary port's number, as a key's port; empty when the Service has no ports. */
  static Optional<String> choose(Service service, String configuredName) {
    ServiceSpec spec = service.getSpec();
    List<io.fabric8.kubernetes.api.model.ServicePort> ports = spec == null || spec.getPorts() == null
        ? List.of() : spec.getPorts();
    if (ports.isEmpty()) {
      return Optional.empty();
    }
    if (ports.size() > 1) {
      for (String name : new String[] {configuredName, "https", "http"}) {
        if (name == null || name.isBlank()) {
          continue;
        }
        for (io.fabric8.kubernetes.api.model.ServicePort port : ports) {
          if (name.equals(port.getName())) {
            return Optional.of(Integer.toString(port.getPort()));
          }
        }
      }
    }
    return Optional.of(Integer.toString(ports.get(0).getPort()));
  }

  static String dnsPortName(String configuredName) {
    return configuredName == null || configuredName.isBlank() ? DNS_DEFAULT_PORT_NAME : configuredName;
  }

  /**
   * Whether clients speak TLS to the port: its name is {@code https} or starts with {@code https-}, or
   * its {@code appProtocol} is {@code https}. A port the Service does not describe (the DNS source) is
   * judged by the key's port name.
   */
  static boolean secure(ServicePort port, ServiceKey key) {
    String name = port != null ? port.name() : key.hasPortNumber() ? "" : key.port();
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
      String name = port.name().isEmpty() ? Integer.toString(port.port()) : port.name();
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
