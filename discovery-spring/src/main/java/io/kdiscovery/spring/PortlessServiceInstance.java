package io.kdiscovery.spring;

import java.util.Map;

/**
 * A pod of a headless Service without ports: its IP, port 0 and a URI without a port, as Spring Cloud
 * Kubernetes returns it (the client picks the port).
 *
 * <p>Immutable and thread-safe.
 */
final class PortlessServiceInstance extends PodServiceInstance {

  private final String instanceId;
  private final String host;

  PortlessServiceInstance(String serviceId, String instanceId, String host, boolean secure,
      Map<String, String> metadata, String namespace, Map<String, Map<String, String>> podMetadata) {
    super(serviceId, host, -1, host, secure, metadata, namespace, podMetadata);
    this.instanceId = instanceId;
    this.host = host;
  }

  @Override
  public String getInstanceId() {
    return instanceId;
  }

  @Override
  public String getHost() {
    return host;
  }

  /** 0: the Service names no port. */
  @Override
  public int getPort() {
    return 0;
  }

  @Override
  public String toString() {
    return getServiceId() + "/" + instanceId + "@" + host;
  }
}
