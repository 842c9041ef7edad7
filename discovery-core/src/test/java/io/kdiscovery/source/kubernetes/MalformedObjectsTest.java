package io.kdiscovery.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.SourceStatus;
import io.kdiscovery.testing.FaultDispatcher;
import io.kdiscovery.testing.Hostnames;
import io.kdiscovery.testing.LogCapture;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Bad data from the API is skipped; the rest of the Service keeps working. */
class MalformedObjectsTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private ApiServer api;
  private KDiscovery discovery;

  @BeforeEach
  void start() {
    api = new ApiServer();
    api.apply(Hostnames.service());
    discovery = KDiscovery.builder().kubernetesClient(api.client())
        .backoff(io.kdiscovery.source.Backoff.of(Duration.ofMillis(50), Duration.ofMillis(400))).build();
  }

  @AfterEach
  void stop() {
    discovery.close();
    api.close();
  }

  @Test
  void invalidAddressesAreSkippedAndTheValidOnesKept() {
    api.apply(Hostnames.slice("hostnames-abc")
        .ready("good-1", "10.244.0.5")
        .ready("bad-1", "not-an-ip")
        .ready("bad-2", "300.1.2.3")
        .ready("bad-3", "")
        .ready("good-2", "10.244.0.6").build());

    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      assertThat(handle.awaitSnapshot(WAIT).endpoints()).extracting(Endpoint::podName).containsExactly("good-1", "good-2");
    }
  }

  @Test
  void badSlicesAreSkippedWhileGoodSlicesOfTheSameServiceWork() {
    api.apply(Hostnames.slice("hostnames-good").ready("good-1", "10.244.0.5").build());
    api.apply(Hostnames.slice("hostnames-noports").noPorts().ready("bad-1", "10.244.0.8").build());
    api.apply(Hostnames.slice("hostnames-badport").port("default", 70000).ready("bad-2", "10.244.0.9").build());
    api.apply(Hostnames.slice("hostnames-nullport").port("default", null).ready("bad-3", "10.244.0.10").build());
    api.apply(Hostnames.slice("hostnames-weird").addressType("AppleTalk").ready("bad-4", "10.244.0.11").build());

    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      assertThat(handle.awaitSnapshot(WAIT).endpoints()).extracting(Endpoint::podName).containsExactly("good-1");
    }
  }

  @Test
  void anEndpointWithoutAddressesIsSkipped() {
    EndpointSlice slice = Hostnames.slice("hostnames-abc").ready("good-1", "10.244.0.5").ready("bad-1", "10.244.0.6").build();
    slice.getEndpoints().get(1).setAddresses(java.util.List.of());
    api.apply(slice);

    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      assertThat(handle.awaitSnapshot(WAIT).endpoints()).extracting(Endpoint::podName).containsExactly("good-1");
    }
  }

  @Test
  void aSliceTurningBadLaterDropsOnlyItsOwnEndpoints() {
    api.apply(Hostnames.slice("hostnames-abc").ready("good-1", "10.244.0.5").build());
    api.apply(Hostnames.slice("hostnames-def").ready("good-2", "10.244.0.6").build());
    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      assertThat(handle.awaitSnapshot(WAIT).endpoints()).hasSize(2);

      api.apply(Hostnames.slice("hostnames-def").ready("good-2", "not-an-ip").build());

      await().atMost(WAIT).untilAsserted(() -> assertThat(handle.snapshot().orElseThrow().endpoints())
          .extracting(Endpoint::podName).containsExactly("good-1"));
    }
  }

  @Test
  void nullElementsInEndpointsPortsAndHintsAreSkippedWithOneWarningAndTheRestLands() {
    EndpointSlice slice = Hostnames.slice("hostnames-nulls").ready("good-1", "10.244.0.5").ready("good-2", "10.244.0.6").build();
    slice.getEndpoints().add(null);
    slice.getPorts().add(null);
    slice.getEndpoints().get(0).setHints(new io.fabric8.kubernetes.api.model.discovery.v1.EndpointHintsBuilder()
        .addNewForZone().withName("zone-a").endForZone().build());
    slice.getEndpoints().get(0).getHints().getForZones().add(null);
    try (LogCapture log = new LogCapture()) {
      api.apply(slice);
      try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
        ServiceSnapshot snapshot = handle.awaitSnapshot(WAIT);
        assertThat(snapshot.endpoints()).extracting(Endpoint::podName).containsExactly("good-1", "good-2");
        assertThat(snapshot.endpoints().get(0).zoneHints()).containsExactly("zone-a");
        assertThat(handle.status().state()).isEqualTo(SourceStatus.State.SYNCED);

        // Every other change still lands, and the bad slice is not warned about again.
        api.apply(Hostnames.slice("hostnames-good").ready("good-3", "10.244.0.7").build());
        await().atMost(WAIT).untilAsserted(() -> assertThat(handle.snapshot().orElseThrow().endpoints())
            .extracting(Endpoint::podName).containsExactly("good-1", "good-2", "good-3"));
        assertThat(log.warnings("hostnames-nulls has a null element in its endpoints")).hasSize(1);
        assertThat(log.warnings("hostnames-nulls has a null element in its ports")).hasSize(1);
      }
    }
  }

  @Test
  void anEventOfTheWrongKindIsDroppedWithAWarningAndTheTableKeepsItsPods() {
    api.apply(Hostnames.slice("hostnames-abc").ready("good-1", "10.244.0.5").ready("good-2", "10.244.0.6").build());
    String pod = "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":"
        + "{\"name\":\"hostnames-abc\",\"namespace\":\"default\",\"resourceVersion\":\"900\"},\"spec\":{}}}";
    String realChange = "{\"type\":\"MODIFIED\",\"object\":" + io.fabric8.kubernetes.client.utils.Serialization
        .asJson(new io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder(
            Hostnames.slice("hostnames-abc").ready("good-1", "10.244.0.5").build())
            .editMetadata().withResourceVersion("901").endMetadata().build()) + "}";
    api.faults().inject(FaultDispatcher.watchOf("endpointslices"), FaultDispatcher.watchSending(pod), 1);
    try (LogCapture log = new LogCapture();
         ServiceHandle handle = discovery.open("hostnames.default:80")) {
      assertThat(handle.awaitSnapshot(WAIT).endpoints()).hasSize(2);
      await().atMost(WAIT).until(() -> !log.warnings("not a EndpointSlice").isEmpty()
          || !log.warnings("of kind Pod").isEmpty());
      assertThat(handle.snapshot().orElseThrow().endpoints()).hasSize(2);
      assertThat(log.warnings("of kind Pod (expected EndpointSlice)")).hasSize(1);
      assertThat(realChange).contains("901"); // the frames are what a server would send
    }
  }

  @Test
  void invalidJsonInAListIsReportedWithItsCauseAndTheRetryConverges() {
    api.apply(Hostnames.slice("hostnames-abc").ready("good-1", "10.244.0.5").build());
    api.faults().inject(FaultDispatcher.listOf("endpointslices"), FaultDispatcher.body("{\"kind\": \"EndpointSliceList\", items: [}"), 1);
    try (LogCapture log = new LogCapture();
         ServiceHandle handle = discovery.open("hostnames.default:80")) {
      assertThat(handle.awaitSnapshot(WAIT).endpoints()).extracting(Endpoint::podName).containsExactly("good-1");
      assertThat(log.warnings("cannot read it from kubernetes yet")).singleElement().asString()
          .contains("listing EndpointSlices").contains("API server http://127.0.0.1:");
      assertThat(log.warnings("cannot read it")).singleElement().asString().containsIgnoringCase("json");
    }
  }

  @Test
  void invalidJsonInAWatchFrameIsLoggedAtWarnAndLaterChangesStillLand() {
    api.apply(Hostnames.slice("hostnames-abc").ready("good-1", "10.244.0.5").build());
    api.faults().inject(FaultDispatcher.watchOf("endpointslices"), FaultDispatcher.watchSending("{garbage"), 1);
    try (LogCapture log = new LogCapture();
         ServiceHandle handle = discovery.open("hostnames.default:80")) {
      assertThat(handle.awaitSnapshot(WAIT).endpoints()).hasSize(1);
      await().atMost(WAIT).until(() -> log.lines().stream().anyMatch(l -> l.contains("WARN")
          && l.toLowerCase(java.util.Locale.ROOT).contains("json")));
      api.apply(Hostnames.slice("hostnames-abc").ready("good-1", "10.244.0.5").ready("good-2", "10.244.0.6").build());
      await().atMost(WAIT).untilAsserted(() -> assertThat(handle.snapshot().orElseThrow().endpoints()).hasSize(2));
      assertThat(handle.snapshot().orElseThrow().endpoints()).isNotEmpty();
    }
  }
}
