package io.kdiscovery.spring;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.SourceType;
import io.kdiscovery.source.dns.DnsEndpointSource;
import io.kdiscovery.time.Ticker;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationEventPublisher;
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
import org.springframework.core.env.Environment;

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
  KDiscovery kdiscovery(KDiscoveryProperties properties, ObjectProvider<KubernetesClient> client,
      Environment environment) {
    KDiscovery.Builder builder = KDiscovery.builder().sourceType(properties.getSource())
        .watchScope(properties.getWatchScope()).loopbackEndpoints(properties.getLoopbackEndpoints())
        // Where am I: found once at start; lookups wait for it at most as long as for their first table.
        .locationWait(properties.getInitialWaitTimeout())
        .environment(locationEnvironment(environment));
    if (properties.getZone() != null && !properties.getZone().isBlank()) {
      builder.zone(properties.getZone().trim());
    }
    if (properties.getNode() != null && !properties.getNode().isBlank()) {
      builder.node(properties.getNode().trim());
    }
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

  /**
   * The variables the location is detected from, read through Spring's {@link Environment} (the
   * process environment, and anything a test or a configuration file sets): {@code NODE_NAME},
   * {@code HOSTNAME}, {@code POD_NAMESPACE}, and {@code KDISCOVERY_ZONE}, else Spring Cloud
   * LoadBalancer's own {@code spring.cloud.loadbalancer.zone} as the zone to fall back on.
   */
  static Map<String, String> locationEnvironment(Environment environment) {
    Map<String, String> variables = new HashMap<>();
    for (String name : List.of("NODE_NAME", "HOSTNAME", "POD_NAMESPACE", "KDISCOVERY_ZONE")) {
      String value = environment.getProperty(name);
      if (value != null && !value.isBlank()) {
        variables.put(name, value);
      }
    }
    String loadBalancerZone = environment.getProperty("spring.cloud.loadbalancer.zone");
    if (!variables.containsKey("KDISCOVERY_ZONE") && loadBalancerZone != null && !loadBalancerZone.isBlank()) {
      variables.put("KDISCOVERY_ZONE", loadBalancerZone);
    }
    return variables;
  }

  /** HeartbeatEvents on changes of the Services or of a looked-up id's endpoints. */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  @ConditionalOnClass(name = "org.springframework.cloud.client.discovery.event.HeartbeatEvent")
  @ConditionalOnProperty(prefix = "kdiscovery.heartbeat", name = "enabled", matchIfMissing = true)
  KDiscoveryHeartbeat kdiscoveryHeartbeat(ApplicationEventPublisher publisher) {
    return new KDiscoveryHeartbeat(publisher);
  }

  /**
   * The watch of the selected namespaces' Services, started now without waiting: the first lookup
   * waits for its first list at most {@code kdiscovery.initial-wait-timeout} from here.
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  @Conditional(KubernetesSourceCondition.class)
  ServiceCatalogWatch kdiscoveryServiceCatalog(KDiscovery discovery, KDiscoveryProperties properties,
      ObjectProvider<KubernetesClient> client, ObjectProvider<KDiscoveryHeartbeat> heartbeat) {
    KubernetesClient kubernetes = client.getIfAvailable();
    if (kubernetes == null) {
      throw new IllegalStateException("kdiscovery.source=" + properties.getSource()
          + " needs a KubernetesClient bean");
    }
    List<String> namespaces = properties.getNamespaces().isEmpty()
        ? List.of(discovery.defaultNamespace()) : properties.getNamespaces();
    KDiscoveryHeartbeat beat = heartbeat.getIfAvailable();
    String url = kubernetes.getMasterUrl() == null ? "(no master URL)" : kubernetes.getMasterUrl().toString();
    ServiceCatalogWatch catalog = new ServiceCatalogWatch(discovery, url, properties.isAllNamespaces(), namespaces,
        properties.getServiceLabels(), properties.getInitialWaitTimeout(), Ticker.system(),
        beat == null ? () -> {} : beat::changed);
    catalog.start(); // a source without Services leaves it closed: lookups then go by port name
    return catalog;
  }

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  ServiceDirectory kdiscoveryServiceDirectory(KDiscovery discovery, KDiscoveryProperties properties,
      ObjectProvider<ServiceCatalogWatch> catalog, ObjectProvider<KDiscoveryHeartbeat> heartbeat,
      ObjectProvider<KubernetesClient> client, Environment environment, ObjectProvider<Ticker> ticker) {
    ServiceCatalogWatch services = properties.getSource() == SourceType.DNS ? null : catalog.getIfAvailable();
    boolean withCatalog = services != null && services.isOpen();
    // The idle times of Services looked up by name run on this ticker: an application's own Ticker
    // bean (a test's fake time), else the system's.
    ServiceDirectory directory = new ServiceDirectory(discovery, withCatalog ? services : null, properties,
        perServiceSettings(properties, environment), ticker.getIfAvailable(Ticker::system));
    KDiscoveryProperties.Metadata metadata = properties.getMetadata();
    KubernetesClient kubernetes = client.getIfAvailable();
    KDiscoveryHeartbeat beat = heartbeat.getIfAvailable();
    if (withCatalog && kubernetes != null) {
      directory.portless(new PortlessEndpoints(kubernetes, services.apiServerUrl(), properties.getInitialWaitTimeout(),
          Ticker.system(), properties.getLoopbackEndpoints(), beat == null ? () -> {} : beat::changed));
    }
    if ((metadata.isAddPodLabels() || metadata.isAddPodAnnotations()) && withCatalog && kubernetes != null) {
      List<String> namespaces = properties.getNamespaces().isEmpty()
          ? List.of(discovery.defaultNamespace()) : properties.getNamespaces();
      directory.podMetadata(PodMetadataWatch.start(kubernetes, properties.isAllNamespaces(), namespaces,
          metadata.isAddPodLabels(), metadata.isAddPodAnnotations()));
    }
    if (beat != null) {
      directory.onEntry(entry -> entry.handle().subscribe(snapshot -> beat.changed()));
    }
    return directory;
  }

  /**
   * Each configured service id's settings: the global ones with {@code kdiscovery.services.<id>.*}
   * bound over them, so what an id leaves out is the global value. Built and checked at start-up.
   */
  static Function<String, KDiscoveryProperties.ServiceSettings> perServiceSettings(KDiscoveryProperties properties,
      Environment environment) {
    Binder binder = Binder.get(environment);
    Map<String, KDiscoveryProperties.ServiceSettings> byId = new HashMap<>();
    for (String id : properties.getServices().keySet()) {
      KDiscoveryProperties.ServiceSettings merged = properties.globalSettings();
      binder.bind("kdiscovery.services[" + id + "]", Bindable.ofInstance(merged));
      if (merged.getPolicy() == null || merged.getSlowStart() == null) {
        throw new IllegalArgumentException("kdiscovery.services." + id + ": policy and slow-start must not be empty");
      }
      try {
        merged.getOutlierDetection().toOutlierDetection();
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("kdiscovery.services." + id + ": " + e.getMessage(), e);
      }
      byId.put(id.toLowerCase(Locale.ROOT), merged);
    }
    KDiscoveryProperties.ServiceSettings global = properties.globalSettings();
    return id -> byId.getOrDefault(id, global);
  }

  /** The blocking {@code DiscoveryClient}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.cloud.client.discovery.DiscoveryClient")
  @ConditionalOnDiscoveryEnabled
  @ConditionalOnBlockingDiscoveryEnabled
  static class BlockingDiscovery {

    @Bean
    @ConditionalOnMissingBean
    KDiscoveryDiscoveryClient kdiscoveryDiscoveryClient(ServiceDirectory directory, KDiscoveryProperties properties) {
      return new KDiscoveryDiscoveryClient(directory, properties.getOrder());
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
    KDiscoveryReactiveDiscoveryClient kdiscoveryReactiveDiscoveryClient(ServiceDirectory directory,
        KDiscoveryProperties properties) {
      return new KDiscoveryReactiveDiscoveryClient(directory, properties.getOrder());
    }
  }
}
