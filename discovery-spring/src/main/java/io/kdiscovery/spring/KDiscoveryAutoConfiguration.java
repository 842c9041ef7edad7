package io.kdiscovery.spring;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.SourceType;
import io.kdiscovery.source.dns.DnsEndpointSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cloud.client.ConditionalOnBlockingDiscoveryEnabled;
import org.springframework.cloud.client.ConditionalOnDiscoveryEnabled;
import org.springframework.cloud.client.ConditionalOnReactiveDiscoveryEnabled;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;

/**
 * Sets up kdiscovery in a Spring Boot application: the {@link KDiscovery} instance (with a fabric8
 * {@link KubernetesClient} unless the source is DNS), and Spring Cloud's blocking and reactive
 * {@code DiscoveryClient}s on its live table.
 *
 * <p>Switched off by {@code kdiscovery.enabled=false}; each bean backs off when the application
 * defines its own of the same type; the discovery clients follow Spring Cloud's
 * {@code spring.cloud.discovery.enabled}, {@code .blocking.enabled} and {@code .reactive.enabled}.
 */
@AutoConfiguration
@ConditionalOnClass(KDiscovery.class)
@ConditionalOnProperty(prefix = "kdiscovery", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(KDiscoveryProperties.class)
public class KDiscoveryAutoConfiguration {

  /** The Kubernetes client from fabric8's standard configuration: in-cluster, or the kubeconfig. */
  @Bean
  @ConditionalOnMissingBean
  @Conditional(KubernetesSourceCondition.class)
  KubernetesClient kdiscoveryKubernetesClient() {
    return new KubernetesClientBuilder().build();
  }

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  KDiscovery kdiscovery(KDiscoveryProperties properties, ObjectProvider<KubernetesClient> client) {
    KDiscovery.Builder builder = KDiscovery.builder().sourceType(properties.getSource());
    if (properties.getNamespace() != null && !properties.getNamespace().isBlank()) {
      builder.namespace(properties.getNamespace());
    }
    if (properties.getSource() != SourceType.DNS) {
      KubernetesClient kubernetes = client.getIfAvailable();
      if (kubernetes != null) {
        builder.kubernetesClient(kubernetes);
      }
    }
    if (properties.getSource() != SourceType.KUBERNETES) {
      builder.dns(DnsEndpointSource.builder().clusterDomain(properties.getClusterDomain()));
    }
    return builder.build();
  }

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  ServiceDirectory kdiscoveryServiceDirectory(KDiscovery discovery, KDiscoveryProperties properties,
      ObjectProvider<KubernetesClient> client) {
    return new ServiceDirectory(discovery, client.getIfAvailable(), properties);
  }

  /** The blocking {@code DiscoveryClient}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.cloud.client.discovery.DiscoveryClient")
  @ConditionalOnDiscoveryEnabled
  @ConditionalOnBlockingDiscoveryEnabled
  static class BlockingDiscovery {

    @Bean
    @ConditionalOnMissingBean
    KDiscoveryDiscoveryClient kdiscoveryDiscoveryClient(ServiceDirectory directory) {
      return new KDiscoveryDiscoveryClient(directory);
    }
  }

  /** The reactive {@code DiscoveryClient}, when Reactor is on the classpath. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = {"org.springframework.cloud.client.discovery.ReactiveDiscoveryClient",
      "reactor.core.publisher.Flux"})
  @ConditionalOnDiscoveryEnabled
  @ConditionalOnReactiveDiscoveryEnabled
  static class ReactiveDiscovery {

    @Bean
    @ConditionalOnMissingBean
    KDiscoveryReactiveDiscoveryClient kdiscoveryReactiveDiscoveryClient(ServiceDirectory directory) {
      return new KDiscoveryReactiveDiscoveryClient(directory);
    }
  }
}
