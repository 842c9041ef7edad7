package io.kdiscovery.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.catalog.CatalogSnapshot;
import io.kdiscovery.catalog.ServiceCatalog;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.table.Subscription;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import io.kdiscovery.testing.LogCapture;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A Service-catalog listener that throws an {@link Error} is reported and keeps receiving later lists. */
class CatalogListenerFailureTest {

  private static final Duration WAIT = Duration.ofSeconds(15);

  private final ApiServer api = new ApiServer();
  private final KDiscovery discovery = KDiscovery.builder().kubernetesClient(api.client()).build();

  @AfterEach
  void close() {
    discovery.close();
    api.close();
  }

  @Test
  void aCatalogListenerThatThrowsAnErrorIsReportedAndKeepsReceiving() {
    api.apply(Hostnames.service("first"));
    List<List<String>> seen = new CopyOnWriteArrayList<>();
    try (LogCapture log = new LogCapture()) {
      ServiceCatalog catalog = discovery.catalog("default");
      catalog.awaitSnapshot(WAIT);
      Subscription subscription = catalog.subscribe(snapshot -> {
        seen.add(names(snapshot));
        throw new NoClassDefFoundError("listener bug");
      });
      await().atMost(WAIT).until(() -> seen.size() == 1); // it has thrown once

      api.apply(Hostnames.service("second"));
      await().atMost(WAIT).untilAsserted(() -> assertThat(seen.get(seen.size() - 1)).contains("first", "second"));
      assertThat(log.lines()).anyMatch(l -> l.contains("ERROR") && l.contains("NoClassDefFoundError: listener bug"));
      subscription.close();
      catalog.close();
    }
  }

  private static List<String> names(CatalogSnapshot snapshot) {
    return snapshot.services().stream().map(ServiceInfo::name).toList();
  }
}
