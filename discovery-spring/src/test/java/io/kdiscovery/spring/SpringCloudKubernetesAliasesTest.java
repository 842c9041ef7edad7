package io.kdiscovery.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.commons.logging.impl.NoOpLog;
import org.junit.jupiter.api.Test;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.DefaultResourceLoader;
import org.springframework.core.io.support.SpringFactoriesLoader;
import org.springframework.core.env.MapPropertySource;

/**
 * A dependency swap keeps the application's {@code spring.cloud.kubernetes.discovery.*} settings:
 * read as their kdiscovery equivalents when Spring Cloud Kubernetes is absent, with kdiscovery's own
 * names winning, and reported once.
 */
class SpringCloudKubernetesAliasesTest {

  private final List<String> logged = new CopyOnWriteArrayList<>();
  private final SpringCloudKubernetesAliases aliases = new SpringCloudKubernetesAliases(destination -> new NoOpLog() {
    @Override
    public void info(Object message) {
      logged.add(String.valueOf(message));
    }
  });

  /** A Spring application whose class loader does not see Spring Cloud Kubernetes (the test classpath has it). */
  private static SpringApplication withoutSpringCloudKubernetes() {
    SpringApplication application = new SpringApplication();
    application.setResourceLoader(new DefaultResourceLoader(new FilteredClassLoader("org.springframework.cloud.kubernetes")));
    return application;
  }

  private static StandardEnvironment environment(String... keysAndValues) {
    Map<String, Object> properties = new java.util.LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      properties.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    StandardEnvironment environment = new StandardEnvironment();
    environment.getPropertySources().addFirst(new MapPropertySource("application", properties));
    return environment;
  }

  private static KDiscoveryProperties bound(StandardEnvironment environment) {
    return Binder.get(environment).bindOrCreate("kdiscovery", KDiscoveryProperties.class);
  }

  @Test
  void springCloudKubernetesNamesAreReadWhenItIsAbsentAndKdiscoveryNamesWin() {
    StandardEnvironment environment = environment(
        "spring.cloud.kubernetes.discovery.namespaces[0]", "a",
        "spring.cloud.kubernetes.discovery.namespaces[1]", "b",
        "spring.cloud.kubernetes.discovery.service-labels.team", "shop",
        "spring.cloud.kubernetes.discovery.primary-port-name", "grpc",
        "spring.cloud.kubernetes.discovery.include-not-ready-addresses", "true",
        "spring.cloud.kubernetes.discovery.known-secure-ports", "9443",
        "spring.cloud.kubernetes.discovery.metadata.ports-prefix", "p.",
        "spring.cloud.kubernetes.discovery.metadata.add-pod-labels", "true",
        "spring.cloud.kubernetes.discovery.cache-loading-timeout-seconds", "7",
        "spring.cloud.kubernetes.discovery.order", "3",
        "kdiscovery.order", "5",
        "spring.cloud.kubernetes.discovery.wait-cache-ready", "true");

    aliases.postProcessEnvironment(environment, withoutSpringCloudKubernetes());

    KDiscoveryProperties properties = bound(environment);
    assertThat(properties.getNamespaces()).containsExactly("a", "b");
    assertThat(properties.getServiceLabels()).containsExactly(Map.entry("team", "shop"));
    assertThat(properties.getPortName()).isEqualTo("grpc");
    assertThat(properties.isIncludeNotReadyAddresses()).isTrue();
    assertThat(properties.getKnownSecurePorts()).containsExactly(9443);
    assertThat(properties.getMetadata().getPortsPrefix()).isEqualTo("p.");
    assertThat(properties.getMetadata().isAddPodLabels()).isTrue();
    assertThat(properties.getMetadata().isAddPodAnnotations()).isFalse();
    assertThat(properties.getInitialWaitTimeout()).isEqualTo(Duration.ofSeconds(7));
    assertThat(properties.getOrder()).isEqualTo(5); // kdiscovery.order wins
    assertThat(logged).hasSize(1);
    assertThat(logged.get(0))
        .contains("spring.cloud.kubernetes.discovery.namespaces → kdiscovery.namespaces")
        .contains("spring.cloud.kubernetes.discovery.primary-port-name → kdiscovery.port-name")
        .contains("spring.cloud.kubernetes.discovery.order ignored: kdiscovery.order is set")
        .contains("spring.cloud.kubernetes.discovery.wait-cache-ready ignored")
        .contains("spring.cloud.kubernetes.discovery.metadata.add-pod-labels → kdiscovery.metadata.add-pod-labels");
  }

  @Test
  void withSpringCloudKubernetesOnTheClasspathItsNamesAreLeftToIt() {
    StandardEnvironment environment = environment("spring.cloud.kubernetes.discovery.namespaces[0]", "a");

    aliases.postProcessEnvironment(environment, new SpringApplication());

    assertThat(bound(environment).getNamespaces()).isEmpty();
    assertThat(logged).isEmpty();
  }

  @Test
  void nothingIsLoggedWhenThereIsNothingToTake() {
    StandardEnvironment environment = environment("kdiscovery.order", "5");

    aliases.postProcessEnvironment(environment, withoutSpringCloudKubernetes());

    assertThat(logged).isEmpty();
    assertThat(bound(environment).getKnownSecurePorts()).containsExactlyInAnyOrder(443, 8443);
  }

  @Test
  void bootRunsItForEveryApplication() {
    List<String> registered = SpringFactoriesLoader.forDefaultResourceLocation()
        .load(EnvironmentPostProcessor.class, SpringFactoriesLoader.ArgumentResolver.of(
            org.springframework.boot.logging.DeferredLogFactory.class, destination -> new NoOpLog()))
        .stream().map(p -> p.getClass().getName()).toList();
    assertThat(registered).contains(SpringCloudKubernetesAliases.class.getName());
    assertThat(SpringCloudKubernetesAliases.aliasedNames()).contains(
        "spring.cloud.kubernetes.discovery.all-namespaces", "spring.cloud.kubernetes.discovery.filter",
        "spring.cloud.kubernetes.discovery.include-external-name-services");
    assertThat(Set.copyOf(SpringCloudKubernetesAliases.aliasedNames())).hasSize(20);
  }
}
