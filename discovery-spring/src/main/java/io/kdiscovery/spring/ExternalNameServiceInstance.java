package io.kdiscovery.spring;

import java.net.URI;
import java.util.Map;
import org.springframework.cloud.client.ServiceInstance;

/**
 * The one instance of an ExternalName Service (with {@code include-external-name-services}): the
 * external name as host and port -1, as Spring Cloud Kubernetes returns it; the load balancer never
 * picks it (there is no pod to balance over).
 *
 * <p>Immutable and thread-safe.
 */
record ExternalNameServiceInstance(String serviceId, String host, String instanceId, Map<String, String> metadata)
    implements ServiceInstance {

  ExternalNameServiceInstance {
    metadata = Map.copyOf(metadata);
  }

  @Override
  public String getServiceId() {
    return serviceId;
  }

  @Override
  public String getInstanceId() {
    return instanceId;
  }

  @Override
  public String getHost() {
    return host;
  }

  @Override
  public int getPort() {
    return -1;
  }

  @Override
  public boolean isSecure() {
    return false;
  }

  @Override
  public URI getUri() {
    return URI.create(host);
  }

  @Override
  public Map<String, String> getMetadata() {
    return metadata;
  }
}
