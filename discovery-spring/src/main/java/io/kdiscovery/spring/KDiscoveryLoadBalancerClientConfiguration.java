package io.kdiscovery.spring;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.LoadBalancerLifecycle;
import org.springframework.cloud.loadbalancer.core.ReactorLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The beans of one service id's Spring Cloud LoadBalancer child context: kdiscovery's instance list
 * supplier, its load balancer, and the lifecycle that reports outcomes to it. Not an
 * auto-configuration: {@link KDiscoveryLoadBalancerAutoConfiguration} registers it as every client's
 * default; name it in {@code @LoadBalancerClient(configuration = ...)} to use it for one client only.
 */
@Configuration(proxyBeanMethods = false)
public class KDiscoveryLoadBalancerClientConfiguration {

  @Bean
  @ConditionalOnMissingBean
  ServiceInstanceListSupplier kdiscoveryServiceInstanceListSupplier(Environment environment,
      ServiceDirectory directory) {
    return new KDiscoveryServiceInstanceListSupplier(LoadBalancerClientFactory.getName(environment), directory);
  }

  @Bean
  @ConditionalOnMissingBean
  ReactorLoadBalancer<ServiceInstance> kdiscoveryReactorLoadBalancer(Environment environment,
      ServiceDirectory directory, ObjectProvider<PickRecorder> recorder) {
    return new KDiscoveryReactorLoadBalancer(LoadBalancerClientFactory.getName(environment), directory,
        recorder.getIfAvailable(() -> PickRecorder.NONE));
  }

  @Bean
  LoadBalancerLifecycle<Object, Object, ServiceInstance> kdiscoveryOutcomeLifecycle(
      ObjectProvider<PickRecorder> recorder) {
    return new OutcomeLifecycle(recorder.getIfAvailable(() -> PickRecorder.NONE));
  }
}
