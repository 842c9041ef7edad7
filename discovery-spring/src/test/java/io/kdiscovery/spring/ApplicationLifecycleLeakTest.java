package io.kdiscovery.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.spring.testing.Cluster;
import io.kdiscovery.testing.ApiServer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Starting and stopping the application many times leaves none of kdiscovery's threads behind: the
 * heartbeat thread, the catalogs' and tables' threads all end with the context.
 */
class ApplicationLifecycleLeakTest {

  /** kdiscovery's threads, but the JVM-wide scheduler thread, which lives as long as the JVM by design. */
  private static Set<String> kdiscoveryThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(name -> name.startsWith("kdiscovery-") && !name.startsWith("kdiscovery-scheduler"))
        .collect(Collectors.toSet());
  }

  @Test
  void applicationsThatComeAndGoLeaveNoKdiscoveryThreads() {
    Set<String> before = kdiscoveryThreads();
    for (int cycle = 0; cycle < 5; cycle++) {
      try (ApiServer api = new ApiServer()) {
        new Cluster(api).service("default", "web").port("http", 80, 8080).pods("127.0.0.31").create();
        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(WebApplication.class)
            .web(WebApplicationType.NONE)
            .initializers(context -> context.getBeanFactory().registerSingleton("kubernetesClient", api.client()))
            .properties("spring.cloud.kubernetes.enabled=false", "spring.cloud.kubernetes.discovery.enabled=false",
                "kdiscovery.namespaces=default,shop")
            .run()) {
          DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
          assertThat(discovery.getInstances("web")).hasSize(1);
          assertThat(discovery.getServices()).containsExactly("web");
          await().atMost(Duration.ofSeconds(10)).until(() ->
              kdiscoveryThreads().stream().anyMatch(name -> name.startsWith("kdiscovery-heartbeat")));
        }
      }
    }
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(kdiscoveryThreads()).as("kdiscovery threads left").isSubsetOf(before));
    assertThat(List.copyOf(before)).hasSizeLessThan(50); // a sanity bound on what was there already
  }
}
