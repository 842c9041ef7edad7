package io.kdiscovery.model;

/**
 * One port of a Service's spec.
 *
 * @param name the port's name; empty for the single unnamed port of a Service
 * @param port the Service's port, what clients of the ClusterIP dial (80 in the hostnames example)
 * @param targetPort the pods' port as written in the spec: a number ({@code "9376"}), a container
 *     port name, or empty when unset (then it equals {@code port})
 * @param protocol TCP, UDP or SCTP
 * @param appProtocol the application protocol ({@code http}, {@code kubernetes.io/h2c}, …), or null
 */
public record ServicePort(String name, int port, String targetPort, String protocol, String appProtocol) {

  public ServicePort {
    name = name == null ? "" : name;
    targetPort = targetPort == null ? "" : targetPort;
    protocol = protocol == null ? "TCP" : protocol;
  }
}
