package io.kdiscovery.source.kubernetes;

import static io.kdiscovery.testing.FaultDispatcher.listOf;
import static io.kdiscovery.testing.FaultDispatcher.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.SourceStatus;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import io.kdiscovery.testing.RecordingListener;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Faults of the API server: the table keeps its last good state and catches up when it can. */
class WatchResilienceTest {

  private static final Duration WAIT = Duration.ofSeconds(15);

  private ApiServer api;
  private KDiscovery discovery;

  @BeforeEach
  void start() {
    api = new ApiServer();
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5")
        .ready("hostnames-2", "10.244.0.6").ready("hostnames-3", "10.244.0.7").build());
    discovery = KDiscovery.builder().kubernetesClient(api.client())
        .backoff(Backoff.of(Duration.ofMillis(50), Duration.ofMillis(400))).build();
  }

  @AfterEach
  void stop() {
    discovery.close();
    api.close();
  }

  @Test
  void aWatchStreamCutInTheMiddleResumesAndSeesLaterChanges() {
    RecordingListener listener = new RecordingListener();
    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      handle.awaitSnapshot(WAIT);
      handle.subscribe(listener);

      api.proxy().cutConnections();
      api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());

      await().atMost(WAIT).untilAsserted(() -> assertThat(listener.lastReadyAddresses()).containsExactly("10.244.0.5"));
      assertThat(listener.snapshots()).allSatisfy(s -> assertThat(s.endpoints()).isNotEmpty());
      await().atMost(WAIT).until(() -> handle.status().state() == SourceStatus.State.SYNCED);
    }
  }

  @Test
  void anOutageKeepsTheLastGoodTableWithItsAgeAndTheReturnBringsItUpToDate() {
    RecordingListener listener = new RecordingListener();
    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      ServiceSnapshot before = handle.awaitSnapshot(WAIT);
      handle.subscribe(listener);

      api.proxy().stop();
      await().atMost(WAIT).until(() -> handle.status().state() == SourceStatus.State.DISCONNECTED);
      assertThat(handle.snapshot()).contains(before);
      assertThat(handle.status().staleness(Instant.now())).isPositive();
      assertThat(handle.status().detail()).isNotBlank();

      // The cluster changes while the application cannot see it.
      api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5")
          .ready("hostnames-4", "10.244.0.8").build());
      assertThat(handle.snapshot()).contains(before);

      api.proxy().start();
      await().atMost(WAIT).untilAsserted(() -> assertThat(handle.snapshot().orElseThrow().endpoints())
          .extracting(Endpoint::address).containsExactly("10.244.0.5", "10.244.0.8"));
      await().atMost(WAIT).until(() -> handle.status().state() == SourceStatus.State.SYNCED);
      assertThat(handle.status().staleness(Instant.now())).isZero();
      assertThat(listener.snapshots()).allSatisfy(s -> assertThat(s.endpoints()).isNotEmpty());
    }
  }

  @Test
  void forbiddenEndpointSlicesFallBackToV1Endpoints() {
    api.faults().inject(listOf("/endpointslices"), status(403), -1);
    api.admin().resource(new io.fabric8.kubernetes.api.model.EndpointsBuilder()
        .withNewMetadata().withName("hostnames").withNamespace("default").endMetadata()
        .addNewSubset()
        .addNewAddress().withIp("10.244.0.5").withNewTargetRef().withKind("Pod").withName("hostnames-1").endTargetRef().endAddress()
        .addNewNotReadyAddress().withIp("10.244.0.6").endNotReadyAddress()
        .addNewPort().withName("default").withPort(9376).withProtocol("TCP").endPort()
        .endSubset().build()).create();

    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      ServiceSnapshot snapshot = handle.awaitSnapshot(WAIT);
      assertThat(snapshot.endpoints()).extracting(Endpoint::hostPort).containsExactly("10.244.0.5:9376", "10.244.0.6:9376");
      assertThat(snapshot.readyEndpoints()).extracting(Endpoint::podName).containsExactly("hostnames-1");
    }
    assertThat(api.faults().requests()).anyMatch(r -> r.startsWith("GET /api/v1/namespaces/default/endpoints?"));
  }

  @Test
  void aMissingEndpointSliceApiFallsBackToV1Endpoints() {
    api.faults().inject(listOf("/endpointslices"), status(404), -1);
    api.admin().resource(new io.fabric8.kubernetes.api.model.EndpointsBuilder()
        .withNewMetadata().withName("hostnames").withNamespace("default").endMetadata()
        .addNewSubset().addNewAddress().withIp("10.244.0.5").endAddress()
        .addNewPort().withName("default").withPort(9376).endPort().endSubset().build()).create();

    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      assertThat(handle.awaitSnapshot(WAIT).endpoints()).extracting(Endpoint::hostPort).containsExactly("10.244.0.5:9376");
    }
  }

  @Test
  void withoutReadAccessToServicesAPortNumberIsTakenAsThePodsPort() {
    api.faults().inject(listOf("/services"), status(403), -1);

    try (ServiceHandle byNumber = discovery.open("hostnames.default:9376");
         ServiceHandle byName = discovery.open("hostnames.default:default")) {
      assertThat(byNumber.awaitSnapshot(WAIT).endpoints()).hasSize(3);
      assertThat(byName.awaitSnapshot(WAIT).endpoints()).extracting(Endpoint::port).containsOnly(9376);
      assertThat(byNumber.snapshot().orElseThrow().service().type())
          .isEqualTo(io.kdiscovery.model.ServiceInfo.Type.UNKNOWN);
    }
  }

  @Test
  void anApiServerThatIsDownFromTheStartReportsWhyTheFirstSnapshotIsLate() {
    api.proxy().stop();
    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      await().atMost(WAIT).until(() -> handle.status().state() == SourceStatus.State.DISCONNECTED);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> handle.awaitSnapshot(Duration.ofMillis(100)))
          .isInstanceOf(io.kdiscovery.table.SnapshotTimeoutException.class)
          .hasMessageContaining("hostnames.default:80").hasMessageContaining("DISCONNECTED");

      api.proxy().start();
      assertThat(handle.awaitSnapshot(WAIT).endpoints()).hasSize(3);
    }
  }
}
