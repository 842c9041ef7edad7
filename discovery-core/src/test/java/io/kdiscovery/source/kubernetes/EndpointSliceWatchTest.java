package io.kdiscovery.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import io.kdiscovery.testing.RecordingListener;
import io.kdiscovery.table.ServiceHandle;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The hostnames scenario against the mock API server: what the table shows as pods come and go. */
class EndpointSliceWatchTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private ApiServer api;
  private KDiscovery discovery;

  @BeforeEach
  void start() {
    api = new ApiServer();
    discovery = KDiscovery.builder().kubernetesClient(api.client()).build();
  }

  @AfterEach
  void stop() {
    discovery.close();
    api.close();
  }

  private static List<String> addresses(ServiceSnapshot snapshot) {
    return snapshot.endpoints().stream().map(Endpoint::hostPort).toList();
  }

  @Test
  void threePodsAppearWithThePodsPortForServicePort80() {
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5")
        .ready("hostnames-2", "10.244.0.6").ready("hostnames-3", "10.244.0.7").build());

    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      ServiceSnapshot snapshot = handle.awaitSnapshot(WAIT);

      assertThat(snapshot.serviceFound()).isTrue();
      assertThat(addresses(snapshot)).containsExactly("10.244.0.5:9376", "10.244.0.6:9376", "10.244.0.7:9376");
      assertThat(snapshot.endpoints()).extracting(Endpoint::podName)
          .containsExactly("hostnames-1", "hostnames-2", "hostnames-3");
      assertThat(snapshot.endpoints()).allSatisfy(e -> {
        assertThat(e.conditions().ready()).isTrue();
        assertThat(e.zone()).isEqualTo("zone-a");
        assertThat(e.nodeName()).isEqualTo("node-1");
      });
      assertThat(snapshot.service().type()).isEqualTo(ServiceInfo.Type.CLUSTER_IP);
      assertThat(snapshot.version()).isEqualTo(1);
    }
  }

  @Test
  void thePortNameReachesTheSamePods() {
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());

    try (ServiceHandle handle = discovery.open(ServiceKey.of("default", "hostnames", "default"))) {
      assertThat(addresses(handle.awaitSnapshot(WAIT))).containsExactly("10.244.0.5:9376");
    }
  }

  @Test
  void aPodFailingItsReadinessProbeIsMarkedNotReadyAndThenRemoved() {
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5")
        .ready("hostnames-2", "10.244.0.6").ready("hostnames-3", "10.244.0.7").build());
    RecordingListener listener = new RecordingListener();
    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      handle.awaitSnapshot(WAIT);
      handle.subscribe(listener);

      api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5")
          .notReady("hostnames-2", "10.244.0.6").ready("hostnames-3", "10.244.0.7").build());

      await().atMost(WAIT).untilAsserted(() ->
          assertThat(listener.lastReadyAddresses()).containsExactly("10.244.0.5", "10.244.0.7"));
      assertThat(listener.last().endpoints()).hasSize(3);
    }
  }

  @Test
  void aRolloutAddsNewPodsThenDrainsTheOldOnesWithoutAGap() {
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").ready("old-1", "10.244.0.5").ready("old-2", "10.244.0.6").build());
    RecordingListener listener = new RecordingListener();
    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      handle.awaitSnapshot(WAIT);
      handle.subscribe(listener);

      api.apply(Hostnames.slice("hostnames-abc").ready("old-1", "10.244.0.5").ready("old-2", "10.244.0.6")
          .ready("new-1", "10.244.1.5").ready("new-2", "10.244.1.6").build());
      await().atMost(WAIT).until(() -> listener.lastReadyAddresses().size() == 4);
      api.apply(Hostnames.slice("hostnames-abc").terminating("old-1", "10.244.0.5").terminating("old-2", "10.244.0.6")
          .ready("new-1", "10.244.1.5").ready("new-2", "10.244.1.6").build());
      await().atMost(WAIT).untilAsserted(() -> assertThat(listener.last().endpoints())
          .filteredOn(e -> e.conditions().servingTerminating()).extracting(Endpoint::podName)
          .containsExactly("old-1", "old-2"));
      api.apply(Hostnames.slice("hostnames-abc").ready("new-1", "10.244.1.5").ready("new-2", "10.244.1.6").build());
      await().atMost(WAIT).untilAsserted(() ->
          assertThat(addresses(listener.last())).containsExactly("10.244.1.5:9376", "10.244.1.6:9376"));

      // Every snapshot along the way had pods ready to take traffic.
      assertThat(listener.snapshots()).allSatisfy(s -> assertThat(s.readyEndpoints()).isNotEmpty());
      assertThat(listener.snapshots()).extracting(ServiceSnapshot::version).isSorted().doesNotHaveDuplicates();
    }
  }

  @Test
  void scalingToZeroEmptiesTheTableAndScalingBackFillsIt() {
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());
    RecordingListener listener = new RecordingListener();
    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      handle.awaitSnapshot(WAIT);
      handle.subscribe(listener);

      api.apply(Hostnames.slice("hostnames-abc").build());
      await().atMost(WAIT).untilAsserted(() -> assertThat(listener.last().endpoints()).isEmpty());
      assertThat(listener.last().serviceFound()).isTrue();

      api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-4", "10.244.0.9").build());
      await().atMost(WAIT).untilAsserted(() -> assertThat(listener.lastReadyAddresses()).containsExactly("10.244.0.9"));
    }
  }

  @Test
  void twoSlicesAreMergedAndAnEndpointInBothAppearsOnce() {
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").ready("hostnames-2", "10.244.0.6").build());
    api.apply(Hostnames.slice("hostnames-def").notReady("hostnames-2", "10.244.0.6").ready("hostnames-3", "10.244.0.7").build());

    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      await().atMost(WAIT).untilAsserted(() -> assertThat(handle.snapshot()).hasValueSatisfying(s ->
          assertThat(addresses(s)).containsExactly("10.244.0.5:9376", "10.244.0.6:9376", "10.244.0.7:9376")));
      // The duplicate keeps its best conditions: ready in one slice wins over not ready in the other.
      assertThat(handle.snapshot().orElseThrow().readyEndpoints()).hasSize(3);
    }
  }

  @Test
  void inPerServiceScopeSlicesOfOtherServicesInTheNamespaceAreNotWatched() {
    discovery.close();
    discovery = KDiscovery.builder().kubernetesClient(api.client()).watchScope(io.kdiscovery.WatchScope.SERVICE).build();
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());
    api.apply(new io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder(
        Hostnames.slice("other-xyz").ready("other-1", "10.244.9.9").build())
        .editMetadata().addToLabels("kubernetes.io/service-name", "other").endMetadata().build());

    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      assertThat(addresses(handle.awaitSnapshot(WAIT))).containsExactly("10.244.0.5:9376");
    }
    assertThat(api.faults().requests()).filteredOn(r -> r.contains("endpointslices") && r.startsWith("GET"))
        .allSatisfy(r -> assertThat(r).contains("labelSelector=kubernetes.io%2Fservice-name%3Dhostnames"));
  }

  @Test
  void ipv6SlicesAreReadAndFqdnSlicesIgnored() {
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-v6").addressType("IPv6").ready("hostnames-1", "fd00:0:0:0:0:0:0:5").build());
    api.apply(Hostnames.slice("hostnames-fqdn").addressType("FQDN").ready("hostnames-2", "example.internal").build());
    api.apply(Hostnames.slice("hostnames-v4").ready("hostnames-1", "10.244.0.5").build());

    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      await().atMost(WAIT).untilAsserted(() -> assertThat(handle.snapshot()).hasValueSatisfying(s ->
          assertThat(addresses(s)).containsExactly("10.244.0.5:9376", "[fd00::5]:9376")));
    }
  }

  @Test
  void aServiceThatDoesNotExistYetIsEmptyUntilItAppears() {
    RecordingListener listener = new RecordingListener();
    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      ServiceSnapshot first = handle.awaitSnapshot(WAIT);
      assertThat(first.serviceFound()).isFalse();
      assertThat(first.endpoints()).isEmpty();
      handle.subscribe(listener);

      api.apply(Hostnames.service());
      api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());

      await().atMost(WAIT).untilAsserted(() -> assertThat(listener.lastReadyAddresses()).containsExactly("10.244.0.5"));
      assertThat(listener.last().serviceFound()).isTrue();
    }
  }

  @Test
  void aPortTheServiceDoesNotHaveGivesNoEndpoints() {
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());

    try (ServiceHandle handle = discovery.open("hostnames.default:81")) {
      ServiceSnapshot snapshot = handle.awaitSnapshot(WAIT);
      assertThat(snapshot.serviceFound()).isTrue();
      assertThat(snapshot.endpoints()).isEmpty();
    }
  }

  @Test
  void theServiceSettingsThatShapePicksAreRead() {
    api.apply(new io.fabric8.kubernetes.api.model.ServiceBuilder(Hostnames.service()).editSpec()
        .withSessionAffinity("ClientIP").withNewSessionAffinityConfig().withNewClientIP().withTimeoutSeconds(60)
        .endClientIP().endSessionAffinityConfig().withTrafficDistribution("PreferClose")
        .withPublishNotReadyAddresses(true).withClusterIP("None").endSpec().build());
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());

    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      ServiceInfo service = handle.awaitSnapshot(WAIT).service();
      assertThat(service.type()).isEqualTo(ServiceInfo.Type.HEADLESS);
      assertThat(service.sessionAffinity()).isEqualTo(ServiceInfo.SessionAffinity.CLIENT_IP);
      assertThat(service.sessionAffinityTimeout()).isEqualTo(Duration.ofSeconds(60));
      assertThat(service.trafficDistribution()).isEqualTo(ServiceInfo.TrafficDistribution.PREFER_CLOSE);
      assertThat(service.publishNotReadyAddresses()).isTrue();
      assertThat(service.ports()).singleElement().satisfies(p -> {
        assertThat(p.name()).isEqualTo("default");
        assertThat(p.port()).isEqualTo(80);
        assertThat(p.targetPort()).isEqualTo("9376");
      });
    }
  }

  @Test
  void unsetConditionsMeanReady() {
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").unsetConditions("hostnames-1", "10.244.0.5").build());

    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      assertThat(handle.awaitSnapshot(WAIT).readyEndpoints()).extracting(Endpoint::address).containsExactly("10.244.0.5");
    }
  }
}
