package io.kdiscovery.spring;

import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.cloud.client.loadbalancer.LoadBalanced;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * The smallest application that uses kdiscovery the way users do: Boot's auto-configuration and a
 * {@code @LoadBalanced RestClient.Builder}, {@code RestTemplate} and {@code WebClient.Builder}, nothing else. No component scan, so the other test
 * configurations of this package stay out.
 */
@Configuration(proxyBeanMethods = false)
@EnableAutoConfiguration
class WebApplication {

  @Bean
  @LoadBalanced
  RestClient.Builder loadBalancedRestClientBuilder() {
    return RestClient.builder();
  }

  @Bean
  @LoadBalanced
  RestTemplate loadBalancedRestTemplate() {
    return new RestTemplate();
  }

  @Bean
  @LoadBalanced
  WebClient.Builder loadBalancedWebClientBuilder() {
    return WebClient.builder();
  }
}
