package io.kdiscovery.spring;

import java.util.Map;
import org.springframework.cloud.client.ServiceInstance;

/**
 * A pod of a Service as kdiscovery's {@code DiscoveryClient} returns it: a {@link ServiceInstance}
 * with the two Kubernetes-specific accessors of Spring Cloud Kubernetes' {@code KubernetesServiceInstance}.
 *
 * <p>Immutable and thread-safe. Cast an instance of kdiscovery's clients to it where Spring Cloud
 * Kubernetes code cast to {@code KubernetesServiceInstance}.
 */
public interface KDiscoveryInstance extends ServiceInstance {

  /** The namespace of the instance's Service. */
  String getNamespace();

  /**
   * The pod's {@code labels} and {@code annotations}, keyed so, as Spring Cloud Kubernetes publishes
   * them: each only when {@code kdiscovery.metadata.add-pod-labels} / {@code add-pod-annotations} is on
   * and the pod has some. Empty until kdiscovery's watch of the pods has listed the pod.
   */
  Map<String, Map<String, String>> podMetadata();
}
