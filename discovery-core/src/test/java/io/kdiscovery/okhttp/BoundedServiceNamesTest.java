package io.kdiscovery.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.balancing.NoEndpointException;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.WatchedService;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.FakeScheduler;
import io.kdiscovery.testing.Hostnames;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Host names in calls are outside input: through the interceptor and {@link KDiscoveryDns}, names that
 * are no Service leave only an expiring negative entry (no table entry, watch or balancer), and real
 * Services are released when idle and capped in number. Runs on the KDiscovery's fake time; counts
 * table entries, balancers and the watches open on the mock API server against their baseline.
 */
class BoundedServiceNamesTest {

  private static final int REAL_SERVICES = 30;
  private static final Duration WAIT = Duration.ofSeconds(20);

  private static ApiServer api;
  private static HttpPods pods;
  private static FakeScheduler scheduler;
  private static KDiscovery discovery;
  /** The application's own hold on one Service: the default namespace stays watched throughout. */
  private static ServiceHandle own;

  private int baselineEntries;
  private int baselineWatches;
  private OkHttpClient client;

  @BeforeAll
  static void startCluster() throws IOException {
    api = new ApiServer();
    pods = new HttpPods(81, null, "real");
    IntStream.range(0, REAL_SERVICES).parallel().forEach(n -> {
      api.admin().resource(Hostnames.service("real-" + n)).create();
      api.admin().resource(Hostnames.slice("real-" + n + "-0").forService("real-" + n).port("default", pods.port)
          .ready("real", pods.pods.get(0).ip).build()).create();
    });
    scheduler = new FakeScheduler();
    discovery = KDiscovery.builder().kubernetesClient(api.client()).scheduler(scheduler)
        .ticker(scheduler.ticker()).build();
    own = discovery.open(ServiceKey.of("default", "real-0", 80));
    own.awaitSnapshot(WAIT);
  }

  @AfterAll
  static void stopCluster() {
    own.close();
    discovery.close();
    api.close();
    pods.close();
  }

  @BeforeEach
  void baseline() {
    await().atMost(WAIT).untilAsserted(() -> {
      letFakeTimeFlow();
      assertThat(entries()).isEqualTo(1);
      assertThat(api.faults().openWatches()).isEqualTo(2); // Services and EndpointSlices of "default"
    });
    baselineEntries = entries();
    baselineWatches = api.faults().openWatches();
  }

  @AfterEach
  void stopClient() {
    if (client != null) {
      client.connectionPool().evictAll();
      client.dispatcher().executorService().shutdown();
    }
  }

  private static int entries() {
    return discovery.table().services().size();
  }

  private static long entriesNamed(String prefix) {
    return discovery.table().services().stream().map(WatchedService::key)
        .filter(k -> k.name().startsWith(prefix)).count();
  }

  /**
   * A jump of fake time may find a watch silent past its idle bound: it is restarted over real I/O, and
   * the restart's answer timer and any retry run on the fake scheduler. While waiting for the real
   * server, let fake time move on a little, as real time would, so those timers can fire.
   */
  private static void letFakeTimeFlow() {
    scheduler.advance(Duration.ofMillis(50));
  }

  private void backToBaseline() {
    await().atMost(WAIT).untilAsserted(() -> {
      letFakeTimeFlow();
      assertThat(entries()).isEqualTo(baselineEntries);
      assertThat(api.faults().openWatches()).isEqualTo(baselineWatches);
    });
  }

  @Test
  void theInterceptorKeepsOnlyExpiringNegativeEntriesForNamesThatAreNoService() {
    KDiscoveryInterceptor interceptor = KDiscoveryInterceptor.builder(discovery).build();
    client = new OkHttpClient.Builder().addInterceptor(interceptor).build();
    for (int n = 0; n < 500; n++) {
      String url = "http://ghost-" + n + ".default.svc.cluster.local/";
      assertThatThrownBy(() -> call(url)).isInstanceOf(IOException.class)
          .hasCauseInstanceOf(NoEndpointException.class);
    }
    for (int n = 0; n < 5; n++) { // each a namespace of its own: a namespace-wide watch, opened then let go
      String url = "http://ghost.elsewhere-" + n + ".svc.cluster.local:8080/";
      assertThatThrownBy(() -> call(url)).isInstanceOf(IOException.class)
          .hasCauseInstanceOf(NoEndpointException.class);
    }
    // Within the negative TTL the same names fail at once, with the same reason, and open nothing.
    assertThatThrownBy(() -> call("http://ghost-7.default.svc.cluster.local/"))
        .hasCauseInstanceOf(NoEndpointException.class).hasMessageContaining("ghost-7.default:80: the Service does not exist");
    assertThat(interceptor.services().openCount()).isZero();
    assertThat(interceptor.services().absentCount()).isEqualTo(505);
    backToBaseline();

    scheduler.advance(Duration.ofSeconds(31));
    assertThat(interceptor.services().absentCount()).isZero();
    backToBaseline();
    interceptor.close();
  }

  @Test
  void theInterceptorsCapHoldsUnderAFloodOfRealNamesAndIdleOnesAreReleased() throws IOException {
    KDiscoveryInterceptor interceptor = KDiscoveryInterceptor.builder(discovery).maxServices(10).build();
    client = new OkHttpClient.Builder().addInterceptor(interceptor).build();
    for (int n = 0; n < REAL_SERVICES; n++) {
      assertThat(call("http://real-" + n + ".default.svc.cluster.local/")).isEqualTo("200 real");
      interceptor.services().cleanUp();
      assertThat(interceptor.services().openCount()).isLessThanOrEqualTo(10);
    }
    await().atMost(WAIT).untilAsserted(() -> assertThat(entries()).isLessThanOrEqualTo(baselineEntries + 10));
    assertThat(api.faults().openWatches()).isEqualTo(baselineWatches);

    scheduler.advance(Duration.ofMinutes(5).plusSeconds(1));
    assertThat(interceptor.services().openCount()).isZero();
    backToBaseline();
    interceptor.close();
  }

  @Test
  void theDnsKeepsOnlyExpiringNegativeEntriesForNamesThatAreNoService() throws UnknownHostException {
    try (KDiscoveryDns dns = KDiscoveryDns.builder(discovery).fallback(host -> List.of(InetAddress.getLoopbackAddress()))
        .build()) {
      for (int n = 0; n < 500; n++) {
        String name = "ghost-" + n + ".default.svc.cluster.local";
        assertThatThrownBy(() -> dns.lookup(name)).isInstanceOf(UnknownHostException.class)
            .hasMessageContaining("no Service default/ghost-" + n);
      }
      assertThatThrownBy(() -> dns.lookup("ghost.elsewhere-9.svc.cluster.local"))
          .isInstanceOf(UnknownHostException.class);
      // A short name that is no Service goes to the fallback, now and while it is remembered.
      assertThat(dns.lookup("ghost-short")).containsExactly(InetAddress.getLoopbackAddress());
      assertThat(dns.lookup("ghost-short")).containsExactly(InetAddress.getLoopbackAddress());
      assertThat(dns.handles().openCount()).isZero();
      assertThat(dns.handles().absentCount()).isEqualTo(502);
      assertThat(entriesNamed("ghost")).isZero();
      backToBaseline();

      scheduler.advance(Duration.ofSeconds(31));
      assertThat(dns.handles().absentCount()).isZero();
      backToBaseline();
    }
  }

  @Test
  void theDnssCapHoldsUnderAFloodOfRealNamesAndIdleOnesAreReleased() throws UnknownHostException {
    try (KDiscoveryDns dns = KDiscoveryDns.builder(discovery).maxServices(10).build()) {
      for (int n = 0; n < REAL_SERVICES; n++) {
        assertThat(dns.lookup("real-" + n + ".default.svc.cluster.local"))
            .extracting(InetAddress::getHostAddress).containsExactly(pods.pods.get(0).ip);
        dns.handles().cleanUp();
        assertThat(dns.handles().openCount()).isLessThanOrEqualTo(10);
      }
      await().atMost(WAIT).untilAsserted(() -> assertThat(entries()).isLessThanOrEqualTo(baselineEntries + 10));

      scheduler.advance(Duration.ofMinutes(5).plusSeconds(1));
      assertThat(dns.handles().openCount()).isZero();
      backToBaseline();
    }
  }

  private String call(String url) throws IOException {
    try (Response response = client.newCall(new Request.Builder().url(url).build()).execute()) {
      return response.code() + " " + response.body().string().strip();
    }
  }
}
