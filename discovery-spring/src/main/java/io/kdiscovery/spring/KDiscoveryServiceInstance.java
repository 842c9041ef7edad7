package io.kdiscovery.spring;

import io.kdiscovery.model.Endpoint;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;

/**
 * One pod of a Service, as Spring Cloud sees it: the pod's IP and its port for the Service's primary
 * port, named by the pod.
 *
 * <p>Immutable and thread-safe. Metadata as {@link InstanceView} builds it: Spring Cloud Kubernetes'
 * keys (the Service's labels and annotations, {@code port.<name>}, {@code k8s_namespace},
 * {@code type}), then kdiscovery's {@code namespace}, {@code zone}, {@code node}, {@code hostname},
 * {@code pod} where the Service has not set them. {@code zone} is the key Spring Cloud
 * LoadBalancer's zone preference reads.
 */
final class KDiscoveryServiceInstance implements KDiscoveryInstance {

  private final String serviceId;
  private final Endpoint endpoint;
  private final boolean secure;
  private final Map<String, String> metadata;
  private final String namespace;
  private final Map<String, Map<String, String>> podMetadata;
  private final URI uri;

  KDiscoveryServiceInstance(String serviceId, Endpoint endpoint, boolean secure, Map<String, String> metadata,
      String namespace, Map<String, Map<String, String>> podMetadata) {
    this.serviceId = serviceId;
    this.endpoint = endpoint;
    this.secure = secure;
    this.metadata = Map.copyOf(metadata);
    this.namespace = namespace;
    this.podMetadata = Map.copyOf(podMetadata);
    try {
      // This constructor puts an IPv6 literal in brackets.
      this.uri = new URI(secure ? "https" : "http", null, endpoint.address(), endpoint.port(), null, null, null);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("no URI for " + endpoint, e);
    }
  }

  Endpoint endpoint() {
    return endpoint;
  }

  /** The pod's uid, as Spring Cloud Kubernetes gives it; the pod's name, or address:port, when the source has no uid. */
  @Override
  public String getInstanceId() {
    if (endpoint.podUid() != null) {
      return endpoint.podUid();
    }
    return endpoint.podName() != null ? endpoint.podName() : endpoint.hostPort();
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
  public String getServiceId() {
    return serviceId;
  }

  @Override
  public String getHost() {
    return endpoint.address();
  }

  @Override
  public int getPort() {
    return endpoint.port();
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
  public String toString() {
    return serviceId + "/" + getInstanceId() + "@" + endpoint.hostPort();
  }
}
