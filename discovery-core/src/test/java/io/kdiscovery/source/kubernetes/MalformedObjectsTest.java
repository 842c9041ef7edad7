package io.kdiscovery.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
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
    discovery = KDiscovery.builder().kubernetesClient(api.client()).build();
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
}
