package io.kdiscovery.spring;

import io.kdiscovery.model.Endpoint;
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
final class KDiscoveryServiceInstance extends PodServiceInstance {

  private final Endpoint endpoint;

  KDiscoveryServiceInstance(String serviceId, Endpoint endpoint, boolean secure, Map<String, String> metadata,
      String namespace, Map<String, Map<String, String>> podMetadata) {
    super(serviceId, endpoint.address(), endpoint.port(), endpoint, secure, metadata, namespace, podMetadata);
    this.endpoint = endpoint;
  }

  Endpoint endpoint() {
    return endpoint;
  }

  /** The pod's uid, as Spring Cloud Kubernetes gives it; the pod's name, or address:port, when the source has no uid. */
  @Override
  public String getInstanceId() {
    return instanceId(endpoint.podUid(), endpoint.podName(), endpoint.hostPort());
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
  public String toString() {
    return getServiceId() + "/" + getInstanceId() + "@" + endpoint.hostPort();
  }
}
