package io.kdiscovery.spring;

import java.util.List;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.DiscoveryClient;

/**
 * A Spring Cloud {@link DiscoveryClient} backed by kdiscovery's watches: what the Service catalog and
 * the endpoint table know, {@link #getInstances} and {@link #getServices} return at once, with no
 * request to the API server, no cache and no refresh interval.
 *
 * <p>Thread-safe. A call waits only while a watch has not delivered its first list, never past
 * {@code kdiscovery.initial-wait-timeout} after that watch started; past it, calls fail at once with
 * {@link KDiscoveryUnavailableException} (naming the API server's URL and the root cause) until the
 * API server answers.
 *
 * <p>Service ids are {@code <service>} (every Service of that name in the selected namespaces, merged)
 * or {@code <service>.<namespace>}; {@link #getServices} returns plain names. Each instance is a
 * usable pod by the model's rule: host = pod IP, port = the pod's port of the Service's primary port;
 * see docs/spring.md for the metadata.
 */
public final class KDiscoveryDiscoveryClient implements DiscoveryClient {

  private final ServiceDirectory directory;
  private final int order;

  KDiscoveryDiscoveryClient(ServiceDirectory directory, int order) {
    this.directory = directory;
    this.order = order;
  }

  /** {@code kdiscovery.order}: this client's place among several in Spring Cloud's composite client. */
  @Override
  public int getOrder() {
    return order;
  }

  @Override
  public String description() {
    return "kdiscovery: live EndpointSlice table (source " + directory.discovery().sourceName() + ")";
  }

  @Override
  public List<ServiceInstance> getInstances(String serviceId) {
    return directory.instances(serviceId);
  }

  @Override
  public List<String> getServices() {
    return directory.serviceIds();
  }
}
