package io.kdiscovery.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.spring.testing.Cluster;
import io.kdiscovery.testing.ApiServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.client.RestClient;

/**
 * Lookups are answered from the watches: a mistyped service id, getServices and repeated lookups send
 * nothing to the API server (counted in its dispatcher), and a Service created later is found as soon
 * as the watch reports it.
 */
class MissingServiceTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private ApiServer api;
  private Cluster cluster;
  private ConfigurableApplicationContext app;

  @BeforeEach
  void start() {
    api = new ApiServer();
    cluster = new Cluster(api);
    cluster.service("default", "web").port("http", 80, 8080).pods("127.0.0.31").create();
    app = new SpringApplicationBuilder(WebApplication.class)
        .web(WebApplicationType.NONE)
        .initializers(context -> context.getBeanFactory().registerSingleton("kubernetesClient", api.client()))
        .properties("spring.cloud.kubernetes.enabled=false", "spring.cloud.kubernetes.discovery.enabled=false",
            // spring-retry is on the test classpath for RetryAndPerServiceSettingsTest only
            "spring.cloud.loadbalancer.retry.enabled=false")
        .run();
  }

  @AfterEach
  void stop() {
    app.close();
    api.close();
  }

  /** Waits until the catalog's watch and the table's watches of "web" are open: then nothing more is due. */
  private void awaitWatchesOfWeb() {
    awaitWatches(3);
  }

  private void awaitWatches(int count) {
    await().atMost(WAIT).until(() -> reads().stream().filter(r -> r.contains("watch=true")).count() >= count);
  }

  /** Requests that reached the API server, other than the test's own writes and the watches' streams. */
  private List<String> reads() {
    return api.faults().requests().stream().filter(r -> r.startsWith("GET")).toList();
  }

  @Test
  void aMissingServiceCostsTheApiServerNothingPerRequest() {
    DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
    RestClient client = app.getBean(RestClient.Builder.class).build();
    assertThat(discovery.getInstances("web")).hasSize(1); // everything a lookup needs is watched now
    awaitWatchesOfWeb();
    int before = reads().size();

    for (int i = 0; i < 1_000; i++) {
      assertThat(discovery.getInstances("wbe")).isEmpty();
    }
    for (int i = 0; i < 50; i++) {
      Throwable thrown = catchThrowable(() -> client.get().uri("http://wbe/").retrieve().body(String.class));
      assertThat(thrown).hasMessageContaining("No instances available for wbe");
    }

    assertThat(reads()).hasSize(before);
  }

  @Test
  void aServiceCreatedLaterIsFoundAsSoonAsTheWatchReportsIt() {
    DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
    assertThat(discovery.getInstances("late")).isEmpty();

    cluster.service("default", "late").port("http", 80, 8080).pods("127.0.0.41").create();

    await().atMost(WAIT).until(() -> discovery.getInstances("late").size() == 1);
    assertThat(discovery.getInstances("late")).extracting(ServiceInstance::getHost).containsExactly("127.0.0.41");
    assertThat(discovery.getServices()).contains("late");
  }

  @Test
  void getServicesIsServedFromTheWatchWithNoListPerCall() {
    DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
    assertThat(discovery.getServices()).containsExactly("web");
    awaitWatches(1); // the catalog's watch follows its first list
    int before = reads().size();

    for (int i = 0; i < 1_000; i++) {
      assertThat(discovery.getServices()).containsExactly("web");
    }
    assertThat(reads()).hasSize(before);

    cluster.service("default", "api").port("http", 80, 8080).pods("127.0.0.51").create();
    await().atMost(WAIT).until(() -> discovery.getServices().equals(List.of("api", "web")));
  }

  @Test
  void repeatedLookupsOfAnExistingServiceSendNothingEither() {
    DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
    RestClient client = app.getBean(RestClient.Builder.class).build();
    assertThat(discovery.getInstances("web")).hasSize(1);
    // the first load-balanced request opens the balancer; nothing listens on the pod, so it fails
    catchThrowable(() -> client.get().uri("http://web/").retrieve().body(String.class));
    awaitWatchesOfWeb();
    int before = reads().size();

    for (int i = 0; i < 1_000; i++) {
      assertThat(discovery.getInstances("web")).hasSize(1);
      assertThat(discovery.getInstances("web.default")).hasSize(1);
    }
    assertThat(reads()).hasSize(before);
  }
}
