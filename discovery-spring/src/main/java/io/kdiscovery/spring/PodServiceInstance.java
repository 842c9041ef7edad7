package io.kdiscovery.spring;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;

/**
 * What a pod of a Service is as a {@link KDiscoveryInstance}, whether its Service names a port
 * ({@link KDiscoveryServiceInstance}) or not ({@link PortlessServiceInstance}): the service id, the
 * scheme and URI, the metadata, the namespace and the pod's labels and annotations. The two differ only
 * in where host, port and instance id come from.
 *
 * <p>Immutable and thread-safe.
 */
abstract sealed class PodServiceInstance implements KDiscoveryInstance
    permits KDiscoveryServiceInstance, PortlessServiceInstance {

  private final String serviceId;
  private final boolean secure;
  private final Map<String, String> metadata;
  private final String namespace;
  private final Map<String, Map<String, String>> podMetadata;
  private final URI uri;

  /**
   * @param uriPort the port of the URI, -1 for a URI without one
   * @param described what a bad address is reported as
   */
  PodServiceInstance(String serviceId, String host, int uriPort, Object described, boolean secure,
      Map<String, String> metadata, String namespace, Map<String, Map<String, String>> podMetadata) {
    this.serviceId = serviceId;
    this.secure = secure;
    this.metadata = Map.copyOf(metadata);
    this.namespace = namespace;
    this.podMetadata = Map.copyOf(podMetadata);
    try {
      // This constructor puts an IPv6 literal in brackets.
      this.uri = new URI(secure ? "https" : "http", null, host, uriPort, null, null, null);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("no URI for " + described, e);
    }
  }

  /**
   * The instance id Spring Cloud Kubernetes gives a pod: its uid; its name when the source has no uid;
   * {@code otherwise} (the address) when it has neither.
   */
  static String instanceId(String podUid, String podName, String otherwise) {
    if (podUid != null) {
      return podUid;
    }
    return podName != null ? podName : otherwise;
  }

  @Override
  public final String getServiceId() {
    return serviceId;
  }

  @Override
  public final boolean isSecure() {
    return secure;
  }

  @Override
  public final URI getUri() {
    return uri;
  }

  @Override
  public final String getScheme() {
    return uri.getScheme();
  }

  @Override
  public final Map<String, String> getMetadata() {
    return metadata;
  }

  @Override
  public final String getNamespace() {
    return namespace;
  }

  @Override
  public final Map<String, Map<String, String>> podMetadata() {
    return podMetadata;
  }
}
