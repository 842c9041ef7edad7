package io.kdiscovery;

import static io.kdiscovery.testing.FaultDispatcher.listOf;
import static io.kdiscovery.testing.FaultDispatcher.status;
import static io.kdiscovery.testing.FaultDispatcher.tooManyRequests;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.source.dns.DnsEndpointSource;
import io.kdiscovery.source.dns.Dnsmasq;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.FakeScheduler;
import io.kdiscovery.testing.Hostnames;
import io.kdiscovery.testing.LogCapture;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AUTO takes no verdict from a passing error: one 429 with {@code Retry-After} is asked again and the
 * Kubernetes source is chosen; a 403 sends the watches to DNS (logged once, with the rule to grant),
 * and the question is asked again until the API is readable, when the watches come back. Real mock
 * API server, real dnsmasq, fake time for the waits.
 */
class AutoSourceRevisitTest {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final String HOSTNAMES_DNS = "hostnames.default.svc.cluster.local";

  @TempDir Path dir;
  private ApiServer api;
  private Dnsmasq dns;
  private FakeScheduler scheduler;

  @BeforeEach
  void start() throws Exception {
    api = new ApiServer();
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5")
        .ready("hostnames-2", "10.244.0.6").ready("hostnames-3", "10.244.0.7").build());
    dns = Dnsmasq.start(dir, "127.0.0.11 " + HOSTNAMES_DNS, "127.0.0.12 " + HOSTNAMES_DNS);
    scheduler = new FakeScheduler();
  }

  @AfterEach
  void stop() {
    dns.close();
    api.close();
  }

  private KDiscovery auto() {
    return KDiscovery.builder().kubernetesClient(api.client()).sourceType(SourceType.AUTO)
        .dns(DnsEndpointSource.builder().nameServer(dns.address())).scheduler(scheduler).ticker(scheduler.ticker())
        .build();
  }

  private static boolean isProbe(io.fabric8.mockwebserver.http.RecordedRequest request) {
    return request.getPath().contains("/endpointslices") && request.getPath().contains("limit=1");
  }

  @Test
  void oneTooManyRequestsIsAskedAgainAfterItsRetryAfterAndTheKubernetesSourceIsChosen() {
    api.faults().inject(AutoSourceRevisitTest::isProbe, tooManyRequests(1), 1);
    try (KDiscovery discovery = auto(); ServiceHandle handle = discovery.open("hostnames.default:80")) {
      // The probe answered 429: the next one waits at least the Retry-After (1 s), on fake time.
      await().atMost(WAIT).until(() -> scheduler.pendingDelays().stream()
          .anyMatch(d -> d.compareTo(Duration.ofSeconds(1)) >= 0 && d.compareTo(Duration.ofSeconds(2)) < 0));
      assertThat(discovery.sourceName()).isEqualTo("auto"); // no verdict yet
      scheduler.advance(Duration.ofSeconds(2));

      assertThat(handle.awaitSnapshot(WAIT).endpoints()).extracting(Endpoint::hostPort)
          .containsExactly("10.244.0.5:9376", "10.244.0.6:9376", "10.244.0.7:9376");
      assertThat(discovery.sourceName()).isEqualTo("kubernetes");
      assertThat(api.faults().count(r -> r.contains("/endpointslices") && r.contains("limit=1"))).isEqualTo(2);
    }
  }

  @Test
  void afterA403ItUsesDnsLoggedOnceWithTheRuleToGrantAndComesBackWhenTheApiIsReadable() {
    api.faults().inject(listOf("/endpointslices"), status(403), -1);
    try (LogCapture log = new LogCapture(); KDiscovery discovery = auto();
         ServiceHandle handle = discovery.open("hostnames.default:80")) {
      assertThat(handle.awaitSnapshot(WAIT).endpoints()).extracting(Endpoint::address)
          .containsExactly("127.0.0.11", "127.0.0.12");
      assertThat(discovery.sourceName()).isEqualTo("dns");

      // Still forbidden at the next two checks: nothing changes, nothing more is logged.
      for (int i = 0; i < 2; i++) {
        long probes = probes();
        scheduler.advance(AutoEndpointSource.RECHECK);
        await().atMost(WAIT).until(() -> probes() > probes);
      }
      assertThat(discovery.sourceName()).isEqualTo("dns");

      // Readable again: the watch moves back to the API, and the table never went empty meanwhile.
      api.faults().clearFaults();
      scheduler.advance(AutoEndpointSource.RECHECK);
      await().atMost(WAIT).untilAsserted(() -> assertThat(handle.snapshot().orElseThrow().endpoints())
          .extracting(Endpoint::hostPort).containsExactly("10.244.0.5:9376", "10.244.0.6:9376", "10.244.0.7:9376"));
      assertThat(discovery.sourceName()).isEqualTo("kubernetes");

      assertThat(log.warnings("source auto")).hasSize(1).first().asString()
          .contains("HTTP 403").contains("verbs get, list, watch on resource endpointslices.discovery.k8s.io");
      assertThat(log.lines()).filteredOn(l -> l.contains("back to the Kubernetes API")).hasSize(1);
    }
  }

  private long probes() {
    return api.faults().count(r -> r.contains("/endpointslices") && r.contains("limit=1"));
  }
}
