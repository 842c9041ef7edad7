package io.kdiscovery.spring;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClients;

/**
 * Makes kdiscovery the default of every Spring Cloud LoadBalancer client: each service id's child
 * context gets {@link KDiscoveryLoadBalancerClientConfiguration}, so {@code @LoadBalanced}
 * {@code RestClient.Builder}, {@code RestTemplate} and {@code WebClient.Builder} pick pods through
 * kdiscovery with no further code. A client configured with {@code @LoadBalancerClient(configuration
 * = ...)} keeps its own beans.
 *
 * <p>Switched off by {@code kdiscovery.enabled=false} or {@code spring.cloud.loadbalancer.enabled=false}.
 */
@AutoConfiguration(after = KDiscoveryAutoConfiguration.class)
@ConditionalOnClass(name = {"org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory",
    "reactor.core.publisher.Mono"})
@ConditionalOnProperty(prefix = "kdiscovery", name = "enabled", matchIfMissing = true)
@ConditionalOnProperty(prefix = "spring.cloud.loadbalancer", name = "enabled", matchIfMissing = true)
@LoadBalancerClients(defaultConfiguration = KDiscoveryLoadBalancerClientConfiguration.class)
public class KDiscoveryLoadBalancerAutoConfiguration {}
