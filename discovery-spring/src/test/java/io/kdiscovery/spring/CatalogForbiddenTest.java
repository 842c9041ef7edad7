package io.kdiscovery.spring;

import static io.kdiscovery.testing.FaultDispatcher.listOf;
import static io.kdiscovery.testing.FaultDispatcher.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.catalog.ServiceCatalog;
import io.kdiscovery.source.FailureKind;
import io.kdiscovery.table.SourceStatus.State;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.time.Ticker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The catalog is "forbidden" only when the API server answered 401/403, as the status's typed failure
 * says, never because its detail contains "403": every detail names the API server's URL, and a URL
 * may hold those digits (a path prefix, a port). Real mock API server.
 */
class CatalogForbiddenTest {

  private static final Duration WAIT = Duration.ofSeconds(15);

  private ApiServer api;
  private KubernetesClient client;

  @BeforeEach
  void start() {
    api = new ApiServer();
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    api.close();
  }

  @Test
  void aFailureWhoseDetailHas403OnlyInTheUrlIsNotForbidden() {
    // The API server is down, and its URL (named in every detail) holds "403" in a path prefix.
    api.proxy().stop();
    client = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
        .withMasterUrl("http://127.0.0.1:" + api.proxy().port() + "/clusters/eu-403/").withNamespace("default")
        .build()).build();
    try (KDiscovery discovery = KDiscovery.builder().kubernetesClient(client).build();
         ServiceCatalogWatch catalog = watch(discovery);
         ServiceCatalog services = discovery.catalog("default")) {
      await().atMost(WAIT).until(() -> services.status().detail() != null && services.status().detail().contains("403"));
      assertThat(services.status().failure()).isNotIn(FailureKind.FORBIDDEN, FailureKind.NONE);
      assertThat(catalog.forbidden()).isFalse();
    }
  }

  @Test
  void a403IsForbidden() {
    api.faults().inject(listOf("/services"), status(403), -1);
    try (KDiscovery discovery = KDiscovery.builder().kubernetesClient(api.client()).build();
         ServiceCatalogWatch catalog = watch(discovery);
         ServiceCatalog services = discovery.catalog("default")) {
      await().atMost(WAIT).until(() -> services.status().state() == State.DISCONNECTED);
      assertThat(services.status().failure()).isEqualTo(FailureKind.FORBIDDEN);
      assertThat(catalog.forbidden()).isTrue();
    }
  }

  private static ServiceCatalogWatch watch(KDiscovery discovery) {
    ServiceCatalogWatch watch = new ServiceCatalogWatch(discovery, "?", false, List.of("default"), Map.of(),
        Duration.ofSeconds(1), Ticker.system(), () -> { });
    assertThat(watch.start()).isTrue();
    return watch;
  }
}
