package io.kdiscovery.source.kubernetes;

import static io.kdiscovery.testing.FaultDispatcher.listOf;
import static io.kdiscovery.testing.FaultDispatcher.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.RoutableAddresses;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import io.kdiscovery.testing.LogCapture;
import io.kdiscovery.testing.RecordingListener;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hand-made EndpointSlices and v1/Endpoints naming addresses no pod has (the cloud metadata service,
 * link-local, unspecified, multicast): each is skipped with one log line, the rest of the object
 * still counts, and the last good table is never emptied by them. The mock API server is on
 * 127.0.0.1, so loopback endpoints are allowed by default (AUTO), as in a development cluster.
 */
class RiskyAddressesTest {

  private static final Duration WAIT = Duration.ofSeconds(15);

  private ApiServer api;
  private KDiscovery discovery;

  @BeforeEach
  void start() {
    api = new ApiServer();
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "127.0.0.11").ready("hostnames-2", "10.244.0.5").build());
  }

  @AfterEach
  void stop() {
    if (discovery != null) {
      discovery.close();
    }
    api.close();
  }

  private KDiscovery discovery(KDiscovery.Builder builder) {
    discovery = builder.kubernetesClient(api.client()).backoff(Backoff.of(Duration.ofMillis(50), Duration.ofMillis(400)))
        .build();
    return discovery;
  }

  @Test
  void addressesNoPodHasAreSkippedWithOneLineEachAndTheLastGoodTableStays() {
    RecordingListener listener = new RecordingListener();
    try (LogCapture log = new LogCapture();
        ServiceHandle handle = discovery(KDiscovery.builder()).open("hostnames.default:80")) {
      assertThat(handle.awaitSnapshot(WAIT).endpoints()).extracting(Endpoint::address)
          .containsExactly("10.244.0.5", "127.0.0.11");
      handle.subscribe(listener);

      api.apply(Hostnames.slice("hostnames-evil").ready("metadata", "169.254.169.254")
          .ready("link-local", "169.254.10.1").ready("unspecified", "0.0.0.0").ready("multicast", "224.0.0.1")
          .ready("hostnames-3", "10.244.0.6").build());
      api.apply(Hostnames.slice("hostnames-evil-v6").addressType("IPv6").ready("link-local-v6", "fe80::1")
          .ready("loopback-v6", "::1").build());

      await().atMost(WAIT).untilAsserted(() -> assertThat(handle.snapshot().orElseThrow().endpoints())
          .extracting(Endpoint::address).containsExactly("10.244.0.5", "10.244.0.6", "127.0.0.11", "::1"));
      // A later change of the same slice logs nothing new about the addresses already reported.
      api.apply(Hostnames.slice("hostnames-evil").ready("metadata", "169.254.169.254")
          .ready("link-local", "169.254.10.1").ready("unspecified", "0.0.0.0").ready("multicast", "224.0.0.1")
          .ready("hostnames-3", "10.244.0.6").ready("hostnames-4", "10.244.0.7").build());
      await().atMost(WAIT).untilAsserted(() -> assertThat(handle.snapshot().orElseThrow().endpoints())
          .extracting(Endpoint::address).contains("10.244.0.7"));

      assertThat(listener.snapshots()).allSatisfy(s -> assertThat(s.endpoints()).extracting(Endpoint::address)
          .contains("10.244.0.5", "127.0.0.11").doesNotContain("169.254.169.254", "169.254.10.1", "0.0.0.0",
              "224.0.0.1", "fe80::1"));
      assertThat(log.warnings("endpoint 169.254.169.254")).hasSize(1).allSatisfy(line -> assertThat(line)
          .contains("EndpointSlice default/hostnames-evil:", "pod metadata", "cloud metadata"));
      assertThat(log.warnings("endpoint 169.254.10.1")).hasSize(1).allSatisfy(line -> assertThat(line).contains("link-local"));
      assertThat(log.warnings("endpoint fe80::1")).hasSize(1).allSatisfy(line -> assertThat(line).contains("link-local"));
      assertThat(log.warnings("endpoint 0.0.0.0")).hasSize(1);
      assertThat(log.warnings("endpoint 224.0.0.1")).hasSize(1);
    }
  }

  @Test
  void loopbackEndpointsCanBeDeniedEvenWithALocalApiServer() {
    try (LogCapture log = new LogCapture();
        ServiceHandle handle = discovery(KDiscovery.builder().loopbackEndpoints(RoutableAddresses.Loopback.DENY))
            .open("hostnames.default:80")) {
      ServiceSnapshot snapshot = handle.awaitSnapshot(WAIT);
      assertThat(snapshot.endpoints()).extracting(Endpoint::address).containsExactly("10.244.0.5");
      assertThat(log.warnings("endpoint 127.0.0.11")).hasSize(1)
          .allSatisfy(line -> assertThat(line).contains("loopback", "pod hostnames-1"));
    }
  }

  @Test
  void v1EndpointsAreHeldToTheSameRule() {
    api.faults().inject(listOf("/endpointslices"), status(404), -1);
    api.admin().resource(new io.fabric8.kubernetes.api.model.EndpointsBuilder()
        .withNewMetadata().withName("hostnames").withNamespace("default").endMetadata()
        .addNewSubset()
        .addNewAddress().withIp("169.254.169.254").withNewTargetRef().withKind("Pod").withName("metadata").endTargetRef().endAddress()
        .addNewAddress().withIp("127.0.0.11").withNewTargetRef().withKind("Pod").withName("hostnames-1").endTargetRef().endAddress()
        .addNewNotReadyAddress().withIp("169.254.1.1").endNotReadyAddress()
        .addNewPort().withName("default").withPort(9376).withProtocol("TCP").endPort()
        .endSubset().build()).create();

    try (LogCapture log = new LogCapture();
        ServiceHandle handle = discovery(KDiscovery.builder()).open("hostnames.default:80")) {
      assertThat(handle.awaitSnapshot(WAIT).endpoints()).extracting(Endpoint::address).containsExactly("127.0.0.11");
      assertThat(log.warnings("Endpoints default/hostnames: endpoint 169.254.169.254 (pod metadata) skipped")).hasSize(1);
    }
  }
}
