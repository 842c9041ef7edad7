package io.kdiscovery.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.WatchScope;
import io.kdiscovery.catalog.ServiceCatalog;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Closing kdiscovery leaves nothing behind on a client the caller owns: no watch open on the server
 * (counted by the server) and no thread of kdiscovery's.
 */
class WatchLeakTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  private ApiServer api;

  @BeforeEach
  void start() {
    api = new ApiServer();
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());
  }

  @AfterEach
  void stop() {
    api.close();
  }

  @Test
  void fiftyOpenAndCloseCyclesOnTheCallersClientLeaveNoWatchAndNoThread() {
    List<String> baseline = otherThreads();
    for (int i = 0; i < 50; i++) {
      WatchScope scope = WatchScope.values()[i % 3];
      if (i % 5 == 0) {
        // Closing while a watch is failing and waiting to reconnect must not leak either.
        api.faults().inject(io.kdiscovery.testing.FaultDispatcher.watchOf("endpointslices"),
            io.kdiscovery.testing.FaultDispatcher.watchClosedAtOnce(), 2);
      }
      try (KDiscovery discovery = KDiscovery.builder().kubernetesClient(api.client()).watchScope(scope).build();
           ServiceHandle handle = discovery.open("hostnames.default:80");
           ServiceCatalog catalog = discovery.catalog("default")) {
        assertThat(handle.awaitSnapshot(WAIT).endpoints()).hasSize(1);
        catalog.awaitSnapshot(WAIT);
      }
    }
    await().atMost(WAIT).untilAsserted(() -> assertThat(api.faults().openWatches()).isZero());
    await().atMost(WAIT).untilAsserted(() -> assertThat(kdiscoveryThreads()).isEmpty());
    // Beyond the test's own servers and the caller's client (which keeps idle connections a while),
    // no thread is left that was not there before.
    await().atMost(WAIT).untilAsserted(() -> assertThat(otherThreads()).isSubsetOf(baseline));
  }

  @Test
  void closingWhileTheFirstListIsUnderWayLeavesNoWatch() {
    api.faults().inject(io.kdiscovery.testing.FaultDispatcher.listOf("endpointslices"),
        request -> new io.fabric8.mockwebserver.http.MockResponse().setResponseCode(200)
            .setBodyDelay(Duration.ofMillis(300))
            .setBody("{\"kind\":\"EndpointSliceList\",\"apiVersion\":\"discovery.k8s.io/v1\",\"metadata\":"
                + "{\"resourceVersion\":\"1\"},\"items\":[]}"), 20);
    for (int i = 0; i < 20; i++) {
      KDiscovery discovery = KDiscovery.builder().kubernetesClient(api.client()).build();
      discovery.open("hostnames.default:80");
      discovery.close();
    }
    await().atMost(WAIT).untilAsserted(() -> assertThat(api.faults().openWatches()).isZero());
    await().atMost(WAIT).untilAsserted(() -> assertThat(kdiscoveryThreads()).isEmpty());
  }

  /** Threads but those of the mock server, the proxy, Awaitility and the caller's client (OkHttp, fabric8). */
  static List<String> otherThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
        .filter(name -> !name.startsWith("vert.x") && !name.startsWith("tcp-proxy") && !name.startsWith("mock-api")
            && !name.startsWith("OkHttp") && !name.startsWith("Okio") && !name.contains("pool-")
            && !name.startsWith("awaitility") && !name.startsWith("kdiscovery-scheduler"))
        .map(name -> name.replaceAll("\\d+", "#")).distinct().sorted().toList();
  }

  /** kdiscovery's threads, but the one shared scheduler thread, which lives as long as the JVM. */
  static List<String> kdiscoveryThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
        .filter(name -> name.startsWith("kdiscovery-") && !name.startsWith("kdiscovery-scheduler")).sorted().toList();
  }
}
