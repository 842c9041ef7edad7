package io.kdiscovery.spring;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;

/**
 * A pod of a headless Service without ports: its IP, port 0 and a URI without a port, as Spring Cloud
 * Kubernetes returns it (the client picks the port).
 *
 * <p>Immutable and thread-safe.
 */
final class PortlessServiceInstance implements KDiscoveryInstance {

  private final String serviceId;
  private final String instanceId;
  private final String host;
  private final boolean secure;
  private final Map<String, String> metadata;
  private final String namespace;
  private final Map<String, Map<String, String>> podMetadata;
  private final URI uri;

  PortlessServiceInstance(String serviceId, String instanceId, String host, boolean secure,
      Map<String, String> metadata, String namespace, Map<String, Map<String, String>> podMetadata) {
    this.serviceId = serviceId;
    this.instanceId = instanceId;
    this.host = host;
    this.secure = secure;
    this.metadata = Map.copyOf(metadata);
    this.namespace = namespace;
    this.podMetadata = Map.copyOf(podMetadata);
    try {
      this.uri = new URI(secure ? "https" : "http", null, host, -1, null, null, null);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("no URI for " + host, e);
    }
  }

  @Override
  public String getInstanceId() {
    return instanceId;
  }

  @Override
  public String getServiceId() {
    return serviceId;
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
  public boolean isSecure() {
    return secure;
  }

  @Override
  public URI getUri() {
    return uri;
  }

  @Override
  public String getScheme() {
    return uri.getScheme();
  }

  @Override
  public Map<String, String> getMetadata() {
    return metadata;
  }

  @Override
  public String getNamespace() {
    return namespace;
  }

  @Override
  public Map<String, Map<String, String>> podMetadata() {
    return podMetadata;
  }

  @Override
  public String toString() {
    return serviceId + "/" + instanceId + "@" + host;
  }
}
