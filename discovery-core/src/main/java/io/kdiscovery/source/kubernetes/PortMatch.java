package io.kdiscovery.source.kubernetes;

import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServicePort;

/**
 * Which port of an EndpointSlice (or Endpoints subset) carries a key's Service port.
 *
 * <p>The API links a Service port to endpoint ports by name: a slice port has the name of the Service
 * port it serves (empty for a Service's single unnamed port) and the pods' number (the resolved
 * targetPort). So a key given as the Service's port number ({@code 80}) is first turned into that
 * port's name through the Service. When the Service cannot be read, a port name still matches by
 * name, and a number can only be taken as the pods' port.
 *
 * @param name the endpoint port name to match, or null to match by number
 * @param number the endpoint port number to match when {@code name} is null
 * @param protocol the protocol to match
 */
record PortMatch(String name, int number, String protocol) {

  /** Matches nothing: the Service has no such port. */
  static final PortMatch NONE = new PortMatch(null, 0, "TCP");

  static PortMatch resolve(ServiceKey key, ServiceInfo service, OnceLog onceLog) {
    if (service.type() != ServiceInfo.Type.UNKNOWN) {
      ServicePort port = service.port(key);
      if (port == null) {
        onceLog.warn("Service " + key.namespace() + "/" + key.name() + " has no port '" + key.port()
            + "' (its ports: " + service.ports() + "); no endpoints for " + key);
        return NONE;
      }
      return new PortMatch(port.name(), 0, port.protocol());
    }
    if (key.hasPortNumber()) {
      // Unread: absent (not created yet, or a misspelt name) or not readable (RBAC): say both.
      onceLog.info("Service " + key.namespace() + "/" + key.name() + " does not exist or cannot be read; taking port "
          + key.portNumber() + " of " + key + " as the pods' port");
      return new PortMatch(null, key.portNumber(), "TCP");
    }
    return new PortMatch(key.port(), 0, "TCP");
  }

  boolean matches(String portName, Integer portNumber, String portProtocol) {
    if (this == NONE || portNumber == null) {
      return false;
    }
    String protocolOrDefault = portProtocol == null ? "TCP" : portProtocol;
    if (!protocol.equals(protocolOrDefault)) {
      return false;
    }
    String nameOrEmpty = portName == null ? "" : portName;
    return name != null ? name.equals(nameOrEmpty) : number == portNumber;
  }
}
