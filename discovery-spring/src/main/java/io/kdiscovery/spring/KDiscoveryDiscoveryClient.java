package io.kdiscovery.spring;

import java.util.List;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.DiscoveryClient;

/**
 * A Spring Cloud {@link DiscoveryClient} backed by kdiscovery's live endpoint table: what the table
 * knows, {@link #getInstances} returns at once, with no cache and no refresh interval.
 *
 * <p>Thread-safe. The first {@code getInstances} of a service id blocks while the Service is read and
 * its first table arrives (at most {@code kdiscovery.initial-wait-timeout}); later calls read the
 * latest snapshot without blocking. {@link #getServices()} lists the Services of
 * {@code kdiscovery.namespaces} from the API server on each call.
 *
 * <p>Service ids are {@code <service>} (in {@code kdiscovery.namespace}) or
 * {@code <service>.<namespace>}. Each instance is a ready pod (or, when none is ready, a pod serving
 * while terminating): host = pod IP, port = the pod's port of the Service's primary port.
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
