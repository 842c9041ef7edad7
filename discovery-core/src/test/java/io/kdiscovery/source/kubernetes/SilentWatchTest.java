package io.kdiscovery.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.source.FailureKind;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.SourceStatus.State;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A watch whose connection goes silent without closing (the proxy stops forwarding, as a NAT or a load
 * balancer that dropped it) is noticed by the library itself, with fabric8's default client and with a
 * client that sends no WebSocket pings: the table follows a change made meanwhile, and while the
 * path is dead the status is not SYNCED. Real mock API server and real connections; the idle bound is
 * made small through the builder (these waits are real: the silence is on the wire).
 */
class SilentWatchTest {

  private static final Duration IDLE = Duration.ofSeconds(2);
  /** The target: a change reaches the table within 45 s of the watch going silent. */
  private static final Duration TARGET = Duration.ofSeconds(45);

  private ApiServer api;
  private KubernetesClient noPings;

  @BeforeEach
  void start() {
    api = new ApiServer();
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5")
        .ready("hostnames-2", "10.244.0.6").ready("hostnames-3", "10.244.0.7").build());
    noPings = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
        .withMasterUrl("http://127.0.0.1:" + api.proxy().port()).withNamespace("default")
        .withWebsocketPingInterval(0L).withRequestTimeout(5_000).withConnectionTimeout(2_000).build()).build();
  }

  @AfterEach
  void stop() {
    noPings.close();
    api.close();
  }

  @Test
  void aFrozenWatchIsRestartedWithTheDefaultClient() {
    followsChangesThroughFrozenWatches(api.client());
  }

  @Test
  void aFrozenWatchIsRestartedWithAClientWithoutPings() {
    assertThat(noPings.getConfiguration().getWebsocketPingInterval()).isZero();
    followsChangesThroughFrozenWatches(noPings);
  }

  @Test
  void theIdleBoundIsCheckedAtOnce() {
    KubernetesEndpointSource.Builder builder = KubernetesEndpointSource.builder();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> builder.watchIdleTimeout(Duration.ofMillis(10)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("watchIdleTimeout");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> builder.watchIdleTimeout(Duration.ofMinutes(6)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("5 minutes");
    assertThat(KubernetesEndpointSource.DEFAULT_WATCH_IDLE_TIMEOUT).isEqualTo(Duration.ofSeconds(30));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> KDiscovery.builder().watchIdleTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("watchIdleTimeout");
  }

  private void followsChangesThroughFrozenWatches(KubernetesClient client) {
    KubernetesEndpointSource source = KubernetesEndpointSource.builder().client(client).watchIdleTimeout(IDLE).build();
    try (KDiscovery discovery = KDiscovery.builder().source(source).build();
         ServiceHandle handle = discovery.open("hostnames.default:80")) {
      assertThat(handle.awaitSnapshot(TARGET).endpoints()).hasSize(3);
      await().atMost(TARGET).until(() -> api.faults().openWatches() >= 2);

      // A NAT drops the connections: the old ones hear nothing more, new ones pass.
      api.proxy().freeze();
      api.apply(slice("10.244.0.5", "10.244.0.6"));
      await().atMost(TARGET).untilAsserted(() -> assertThat(ready(handle)).containsExactly("10.244.0.5", "10.244.0.6"));
      await().atMost(TARGET).until(() -> handle.status().state() == State.SYNCED);
      assertThat(api.faults().requests()).filteredOn(r -> r.contains("endpointslices") && r.contains("watch=true"))
          .allSatisfy(r -> assertThat(r).contains("timeoutSeconds="))
          .last().asString().contains("resourceVersion=");

      // A dead load balancer: the old connections hear nothing, the new ones are never answered.
      long lists = api.faults().lists("endpointslices");
      api.proxy().blackhole(true);
      api.proxy().freeze();
      api.apply(slice("10.244.0.5"));
      await().atMost(TARGET).until(() -> handle.status().state() != State.SYNCED);
      assertThat(handle.status().failure()).isIn(FailureKind.SILENT, FailureKind.TIMEOUT);
      assertThat(handle.status().detail()).contains("no answer within");
      assertThat(ready(handle)).containsExactly("10.244.0.5", "10.244.0.6"); // the last good table stays

      api.proxy().blackhole(false);
      await().atMost(TARGET).untilAsserted(() -> assertThat(ready(handle)).containsExactly("10.244.0.5"));
      await().atMost(TARGET).until(() -> handle.status().state() == State.SYNCED);
      assertThat(api.faults().lists("endpointslices")).as("resumed, not relisted").isEqualTo(lists);
    }
  }

  private static java.util.List<String> ready(ServiceHandle handle) {
    return handle.snapshot().orElseThrow().readyEndpoints().stream().map(Endpoint::address).sorted().toList();
  }

  private static io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice slice(String... addresses) {
    Hostnames.SliceBuilder builder = Hostnames.slice("hostnames-abc");
    int i = 1;
    for (String address : addresses) {
      builder = builder.ready("hostnames-" + i++, address);
    }
    return builder.build();
  }
}
