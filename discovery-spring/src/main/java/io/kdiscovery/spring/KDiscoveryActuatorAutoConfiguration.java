package io.kdiscovery.spring;

import io.kdiscovery.KDiscovery;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * kdiscovery's operational view, each part only when its library is present: the Actuator endpoint
 * {@code kdiscovery}, the health indicator {@code kdiscovery} (switch off with
 * {@code management.health.kdiscovery.enabled=false}) and Micrometer metrics.
 */
@AutoConfiguration(after = KDiscoveryAutoConfiguration.class)
@ConditionalOnProperty(prefix = "kdiscovery", name = "enabled", matchIfMissing = true)
@ConditionalOnBean({KDiscovery.class, ServiceDirectory.class})
public class KDiscoveryActuatorAutoConfiguration {

  /** The {@code kdiscovery} endpoint. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = {"org.springframework.boot.actuate.endpoint.annotation.Endpoint",
      "org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint"})
  @ConditionalOnAvailableEndpoint(endpoint = KDiscoveryEndpoint.class)
  static class EndpointConfiguration {

    @Bean
    @ConditionalOnMissingBean
    KDiscoveryEndpoint kdiscoveryEndpoint(ServiceDirectory directory, ObjectProvider<KDiscoveryMetrics> metrics) {
      return new KDiscoveryEndpoint(directory, Clock.systemUTC(), key -> {
        KDiscoveryMetrics meters = metrics.getIfAvailable();
        return meters == null ? null : meters.programmingLatency(key);
      });
    }
  }

  /** The {@code kdiscovery} health indicator. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  @ConditionalOnEnabledHealthIndicator("kdiscovery")
  static class HealthConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "kdiscoveryHealthIndicator")
    KDiscoveryHealthIndicator kdiscoveryHealthIndicator(KDiscovery discovery, KDiscoveryProperties properties) {
      return new KDiscoveryHealthIndicator(discovery, properties.getHealth().getStaleness());
    }
  }

  /** Micrometer meters; Boot binds every {@code MeterBinder} bean to its registries. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.micrometer.core.instrument.binder.MeterBinder")
  static class MetricsConfiguration {

    @Bean
    @ConditionalOnMissingBean
    KDiscoveryMetrics kdiscoveryMetrics(ServiceDirectory directory) {
      return new KDiscoveryMetrics(directory, Clock.systemUTC());
    }
  }
}
