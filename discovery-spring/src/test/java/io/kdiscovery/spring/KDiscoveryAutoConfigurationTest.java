package io.kdiscovery.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.balancing.Policy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.reactive.ReactiveLoadBalancer;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClient;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClientSpecification;
import org.springframework.cloud.loadbalancer.core.RoundRobinLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ReactorLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.web.reactive.function.client.WebClient;

/** Every condition of the auto-configuration, on application contexts that never reach a server. */
class KDiscoveryAutoConfigurationTest {

  private static final String LOAD_BALANCER_DEFAULTS =
      "default." + KDiscoveryLoadBalancerAutoConfiguration.class.getName() + ".LoadBalancerClientSpecification";

  private static String previousMaster;

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(KDiscoveryAutoConfiguration.class,
          KDiscoveryLoadBalancerAutoConfiguration.class, KDiscoveryActuatorAutoConfiguration.class,
          org.springframework.cloud.loadbalancer.config.LoadBalancerAutoConfiguration.class));

  @BeforeAll
  static void pointTheDefaultKubernetesClientAtLoopback() {
    // The auto-configured client reads fabric8's standard configuration; keep it off any real cluster.
    previousMaster = System.setProperty("kubernetes.master", "http://127.0.0.1:1");
  }

  @AfterAll
  static void restoreKubernetesMaster() {
    if (previousMaster == null) {
      System.clearProperty("kubernetes.master");
    } else {
      System.setProperty("kubernetes.master", previousMaster);
    }
  }

  @Test
  void aBootApplicationGetsDiscoveryClientsLoadBalancerHealthAndMetrics() {
    runner.run(context -> {
      assertThat(context).hasSingleBean(KDiscovery.class)
          .hasSingleBean(KubernetesClient.class)
          .hasSingleBean(KDiscoveryDiscoveryClient.class)
          .hasSingleBean(KDiscoveryReactiveDiscoveryClient.class)
          .hasSingleBean(KDiscoveryHealthIndicator.class)
          .hasBean("kdiscoveryMetrics")
          .hasBean(LOAD_BALANCER_DEFAULTS)
          .doesNotHaveBean(KDiscoveryEndpoint.class); // until exposed
      assertThat(context.getBean(KDiscovery.class).sourceName()).isEqualTo("kubernetes");
    });
  }

  @Test
  void theActuatorEndpointExistsOnceExposed() {
    runner.withPropertyValues("management.endpoints.web.exposure.include=kdiscovery")
        .run(context -> assertThat(context).hasSingleBean(KDiscoveryEndpoint.class));
  }

  @Test
  void kdiscoveryEnabledFalseSwitchesEverythingOff() {
    runner.withPropertyValues("kdiscovery.enabled=false",
            "management.endpoints.web.exposure.include=kdiscovery")
        .run(context -> assertThat(context).doesNotHaveBean(KDiscovery.class)
            .doesNotHaveBean(KubernetesClient.class)
            .doesNotHaveBean(ServiceDirectory.class)
            .doesNotHaveBean(KDiscoveryDiscoveryClient.class)
            .doesNotHaveBean(KDiscoveryReactiveDiscoveryClient.class)
            .doesNotHaveBean(KDiscoveryHealthIndicator.class)
            .doesNotHaveBean(KDiscoveryEndpoint.class)
            .doesNotHaveBean("kdiscoveryMetrics")
            .doesNotHaveBean(LOAD_BALANCER_DEFAULTS));
  }

  @Test
  void theApplicationsOwnBeansWin() {
    runner.withUserConfiguration(UserBeans.class).run(context -> {
      assertThat(context).hasSingleBean(KubernetesClient.class).hasSingleBean(KDiscovery.class);
      assertThat(context.getBean(KDiscovery.class)).isSameAs(context.getBean("userKDiscovery"));
      assertThat(context.getBean(KDiscoveryDiscoveryClient.class)).isSameAs(context.getBean("userDiscoveryClient"));
      assertThat(context.getBean("kdiscoveryHealthIndicator", HealthIndicator.class).health())
          .isEqualTo(Health.unknown().build());
    });
  }

  @Test
  void springCloudDiscoverySwitchesAreHonoured() {
    runner.withPropertyValues("spring.cloud.discovery.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(KDiscoveryDiscoveryClient.class)
            .doesNotHaveBean(KDiscoveryReactiveDiscoveryClient.class)
            .hasSingleBean(KDiscovery.class));
    runner.withPropertyValues("spring.cloud.discovery.blocking.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(KDiscoveryDiscoveryClient.class)
            .hasSingleBean(KDiscoveryReactiveDiscoveryClient.class));
    runner.withPropertyValues("spring.cloud.discovery.reactive.enabled=false")
        .run(context -> assertThat(context).hasSingleBean(KDiscoveryDiscoveryClient.class)
            .doesNotHaveBean(KDiscoveryReactiveDiscoveryClient.class));
  }

  @Test
  void switchingSpringCloudLoadBalancerOffLeavesDiscovery() {
    runner.withPropertyValues("spring.cloud.loadbalancer.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(LOAD_BALANCER_DEFAULTS)
            .hasSingleBean(KDiscoveryDiscoveryClient.class));
  }

  @Test
  void theHealthIndicatorCanBeSwitchedOff() {
    runner.withPropertyValues("management.health.kdiscovery.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(KDiscoveryHealthIndicator.class)
            .hasSingleBean(KDiscovery.class));
  }

  @Test
  void withoutSpringCloudCommonsOnlyTheCoreIsSetUp() {
    runner.withClassLoader(new FilteredClassLoader("org.springframework.cloud.client"))
        .run(context -> assertThat(context).hasSingleBean(KDiscovery.class)
            .doesNotHaveBean("kdiscoveryDiscoveryClient")
            .doesNotHaveBean("kdiscoveryReactiveDiscoveryClient"));
  }

  @Test
  void withoutReactorThereIsNoReactiveClientAndNoLoadBalancer() {
    runner.withClassLoader(new FilteredClassLoader("reactor.core"))
        .run(context -> assertThat(context).hasBean("kdiscoveryDiscoveryClient")
            .doesNotHaveBean("kdiscoveryReactiveDiscoveryClient")
            .doesNotHaveBean(LOAD_BALANCER_DEFAULTS));
  }

  @Test
  void withoutWebFluxThereIsNoReactiveClientAsInSpringCloud() {
    runner.withClassLoader(new FilteredClassLoader(WebClient.class))
        .run(context -> assertThat(context).hasBean("kdiscoveryDiscoveryClient")
            .doesNotHaveBean("kdiscoveryReactiveDiscoveryClient")
            .hasBean(LOAD_BALANCER_DEFAULTS));
  }

  @Test
  void withoutSpringCloudLoadBalancerDiscoveryStillWorks() {
    runner.withClassLoader(new FilteredClassLoader(LoadBalancerClientFactory.class))
        .run(context -> assertThat(context).hasBean("kdiscoveryDiscoveryClient")
            .doesNotHaveBean(LOAD_BALANCER_DEFAULTS));
  }

  @Test
  void withoutMicrometerThereAreNoMetrics() {
    runner.withClassLoader(new FilteredClassLoader(MeterBinder.class))
        .run(context -> assertThat(context).doesNotHaveBean("kdiscoveryMetrics")
            .hasBean("kdiscoveryHealthIndicator"));
  }

  @Test
  void withoutActuatorThereIsNoEndpointAndNoHealth() {
    runner.withPropertyValues("management.endpoints.web.exposure.include=kdiscovery")
        .withClassLoader(new FilteredClassLoader(org.springframework.boot.actuate.endpoint.annotation.Endpoint.class,
            HealthIndicator.class))
        .run(context -> assertThat(context).doesNotHaveBean("kdiscoveryEndpoint")
            .doesNotHaveBean("kdiscoveryHealthIndicator")
            .hasBean("kdiscoveryMetrics"));
  }

  @Test
  void withoutTheCoreNothingIsSetUp() {
    runner.withClassLoader(new FilteredClassLoader(KDiscovery.class))
        .run(context -> assertThat(context).doesNotHaveBean("kdiscovery")
            .doesNotHaveBean("kdiscoveryServiceDirectory"));
  }

  @Test
  void theDnsSourceNeedsNoKubernetesClient() {
    runner.withPropertyValues("kdiscovery.source=dns", "kdiscovery.cluster-domain=example.local")
        .run(context -> {
          assertThat(context).doesNotHaveBean(KubernetesClient.class).hasSingleBean(KDiscoveryDiscoveryClient.class);
          assertThat(context.getBean(KDiscovery.class).sourceName()).isEqualTo("dns");
        });
    runner.withPropertyValues("kdiscovery.source=auto")
        .run(context -> {
          assertThat(context).hasSingleBean(KubernetesClient.class);
          assertThat(context.getBean(KDiscovery.class).sourceName()).isEqualTo("auto");
        });
  }

  @Test
  void propertiesBindWithRelaxedNames() {
    runner.withPropertyValues("kdiscovery.policy=peak-ewma", "kdiscovery.namespaces=shop,billing",
            "kdiscovery.affinity.cookie=SESSION", "kdiscovery.health.staleness=30s", "kdiscovery.port-name=grpc")
        .run(context -> {
          KDiscoveryProperties properties = context.getBean(KDiscoveryProperties.class);
          assertThat(properties.getPolicy()).isEqualTo(Policy.PEAK_EWMA);
          assertThat(properties.getNamespaces()).containsExactly("shop", "billing");
          assertThat(properties.getAffinity().getCookie()).isEqualTo("SESSION");
          assertThat(properties.getHealth().getStaleness()).isEqualTo(Duration.ofSeconds(30));
          assertThat(properties.getPortName()).isEqualTo("grpc");
        });
  }

  @Test
  void passiveHealthSettingsReachTheBalancer() {
    runner.withPropertyValues("kdiscovery.outlier-detection.consecutive-failures=2",
            "kdiscovery.outlier-detection.base-ejection-time=10s", "kdiscovery.outlier-detection.max-ejected-share=1",
            "kdiscovery.outlier-detection.eject-on-connect-failure=false", "kdiscovery.slow-start=20s",
            "kdiscovery.zone=zone-a")
        .run(context -> {
          KDiscoveryProperties properties = context.getBean(KDiscoveryProperties.class);
          io.kdiscovery.health.OutlierDetection outlier = properties.getOutlierDetection().toOutlierDetection();
          assertThat(outlier.consecutiveFailures()).isEqualTo(2);
          assertThat(outlier.baseEjectionTime()).isEqualTo(Duration.ofSeconds(10));
          assertThat(outlier.maxEjectedShare()).isEqualTo(1.0);
          assertThat(outlier.ejectOnConnectFailure()).isFalse();
          assertThat(properties.getSlowStart()).isEqualTo(Duration.ofSeconds(20));
          assertThat(properties.getZone()).isEqualTo("zone-a");
          assertThat(context.getBean(ServiceDirectory.class).balancerSettings("web").build()).isNotNull();
        });
    runner.withPropertyValues("kdiscovery.outlier-detection.enabled=false").run(context -> assertThat(
        context.getBean(KDiscoveryProperties.class).getOutlierDetection().toOutlierDetection().enabled()).isFalse());
  }

  @Test
  void anOutOfRangeSettingFailsTheStart() {
    runner.withPropertyValues("kdiscovery.outlier-detection.panic-threshold=2").run(context ->
        assertThat(context).hasFailed().getFailure().rootCause()
            .hasMessageContaining("panicThreshold must be in [0, 1]"));
  }

  @Test
  void anOutOfRangeSettingFailsWithThePropertyName() {
    KDiscoveryProperties properties = new KDiscoveryProperties();
    properties.getOutlierDetection().setMaxEjectedShare(1.5);

    assertThatThrownBy(() -> properties.getOutlierDetection().toOutlierDetection())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kdiscovery.outlier-detection").hasMessageContaining("maxEjectedShare");
  }

  @Test
  void configurationMetadataDescribesEveryProperty() throws IOException {
    try (InputStream json = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
      assertThat(json).isNotNull();
      assertThat(new String(json.readAllBytes(), StandardCharsets.UTF_8)).contains(
          "\"kdiscovery.enabled\"", "\"kdiscovery.namespaces\"", "\"kdiscovery.source\"",
          "\"kdiscovery.policy\"", "\"kdiscovery.affinity.header\"", "\"kdiscovery.affinity.cookie\"",
          "\"kdiscovery.affinity.client-ip\"", "\"kdiscovery.health.staleness\"", "\"kdiscovery.cluster-domain\"",
          "\"kdiscovery.outlier-detection.consecutive-failures\"", "\"kdiscovery.slow-start\"", "\"kdiscovery.zone\"");
    }
  }

  @Test
  void everyLoadBalancerClientPicksThroughKDiscovery() {
    // With retries on (spring-retry is on this classpath) Spring Cloud wraps every supplier to avoid
    // the previous instance; kdiscovery's own balancer does that itself.
    runner.withPropertyValues("spring.cloud.loadbalancer.retry.enabled=false").run(context -> {
      LoadBalancerClientFactory factory = context.getBean(LoadBalancerClientFactory.class);
      assertThat(factory.getInstance("web")).isInstanceOf(KDiscoveryReactorLoadBalancer.class);
      assertThat(factory.getInstance("web", ServiceInstanceListSupplier.class))
          .isInstanceOf(KDiscoveryServiceInstanceListSupplier.class)
          .extracting(ServiceInstanceListSupplier::getServiceId).isEqualTo("web");
    });
  }

  @Test
  void aClientWithItsOwnConfigurationKeepsItsOwnLoadBalancer() {
    runner.withUserConfiguration(SpecialClient.class).run(context -> {
      LoadBalancerClientFactory factory = context.getBean(LoadBalancerClientFactory.class);
      ReactiveLoadBalancer<ServiceInstance> special = factory.getInstance("special");
      assertThat(special).isInstanceOf(RoundRobinLoadBalancer.class);
      assertThat(factory.getInstance("web")).isInstanceOf(KDiscoveryReactorLoadBalancer.class);
    });
  }

  @Test
  void anApplicationsKDiscoveryOnASourceWithoutServicesStillStarts() {
    runner.withUserConfiguration(DnsDiscovery.class).run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(KDiscoveryDiscoveryClient.class);
      assertThat(context.getBean(KDiscoveryDiscoveryClient.class).getServices()).isEmpty();
    });
  }

  static class DnsDiscovery {
    @Bean(destroyMethod = "close")
    KDiscovery dnsKDiscovery() {
      return KDiscovery.builder().sourceType(io.kdiscovery.SourceType.DNS).namespace("default").build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class UserBeans {

    @Bean
    KubernetesClient userKubernetesClient() {
      return new KubernetesClientBuilder().withConfig(new ConfigBuilder()
          .withMasterUrl("http://127.0.0.1:1").withNamespace("default").build()).build();
    }

    @Bean(destroyMethod = "close")
    KDiscovery userKDiscovery(KubernetesClient client) {
      return KDiscovery.builder().kubernetesClient(client).build();
    }

    @Bean
    KDiscoveryDiscoveryClient userDiscoveryClient(KDiscovery discovery) {
      KDiscoveryProperties properties = new KDiscoveryProperties();
      return new KDiscoveryDiscoveryClient(new ServiceDirectory(discovery, null, properties,
          id -> properties.globalSettings(), io.kdiscovery.time.Ticker.system()), 0);
    }

    @Bean
    HealthIndicator kdiscoveryHealthIndicator() {
      return () -> Health.unknown().build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  @LoadBalancerClient(name = "special", configuration = SpecialClientConfiguration.class)
  static class SpecialClient {}

  static class SpecialClientConfiguration {

    @Bean
    ReactorLoadBalancer<ServiceInstance> roundRobin(Environment environment, LoadBalancerClientFactory factory) {
      String name = LoadBalancerClientFactory.getName(environment);
      return new RoundRobinLoadBalancer(factory.getLazyProvider(name, ServiceInstanceListSupplier.class), name);
    }
  }

}
