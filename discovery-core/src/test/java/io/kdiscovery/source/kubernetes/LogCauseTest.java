package io.kdiscovery.source.kubernetes;

import static io.kdiscovery.testing.FaultDispatcher.body;
import static io.kdiscovery.testing.FaultDispatcher.collectionListOf;
import static io.kdiscovery.testing.FaultDispatcher.status;
import static io.kdiscovery.testing.FaultDispatcher.tooManyRequests;
import static io.kdiscovery.testing.FaultDispatcher.watchExpired;
import static io.kdiscovery.testing.FaultDispatcher.watchOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.SourceStatus.State;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import io.kdiscovery.testing.LogCapture;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What an operator reads: the first line of an outage names its root cause (reset, refused, 403 with
 * the verbs to grant, 429, unparsable answer), never fabric8's "Exhausted reconnects" that the
 * library's own reconnect limit of 0 causes; a later change of cause is logged once; the recovery
 * once. Real mock API server behind a TCP proxy; short real backoff.
 */
class LogCauseTest {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final String PORT = "hostnames.default:80";

  private ApiServer api;
  private LogCapture log;
  private KDiscovery discovery;
  private ServiceHandle handle;

  @BeforeEach
  void start() {
    api = new ApiServer();
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());
    log = new LogCapture();
    discovery = KDiscovery.builder().source(KubernetesEndpointSource.builder().client(api.client())
        .backoff(Backoff.of(Duration.ofMillis(50), Duration.ofMillis(400))).build()).build();
    handle = discovery.open(PORT);
    handle.awaitSnapshot(WAIT);
    await().atMost(WAIT).until(() -> api.faults().openWatches() >= 2);
  }

  @AfterEach
  void stop() {
    handle.close();
    discovery.close();
    log.close();
    api.close();
  }

  private List<String> outageLines() {
    return log.warnings(PORT + ":");
  }

  private String firstOutageLine() {
    await().atMost(WAIT).until(() -> !outageLines().isEmpty());
    return outageLines().get(0);
  }

  @Test
  void aResetThenUnparsableRelistsThenRecoveryEachLoggedOnce() {
    api.proxy().resetNewConnections(true);
    api.proxy().cutConnections();
    assertThat(firstOutageLine()).contains("lost contact").contains("reset").doesNotContain("Exhausted");

    // Now every watch is expired at once and every relist answers garbage, again and again.
    api.faults().inject(watchOf("endpointslices"), watchExpired(), -1);
    api.faults().inject(collectionListOf("endpointslices"), body("{not json"), -1);
    long lists = api.faults().lists("endpointslices");
    api.proxy().resetNewConnections(false);
    await().atMost(WAIT).until(() -> api.faults().lists("endpointslices") >= lists + 3);
    assertThat(outageLines()).filteredOn(l -> l.contains("invalid JSON")).hasSize(1).first().asString()
        .contains("now because");

    api.faults().clearFaults();
    await().atMost(WAIT).until(() -> handle.status().state() == State.SYNCED);
    assertThat(log.lines()).filteredOn(l -> l.contains(PORT + ": back in step")).hasSize(1);
    assertThat(log.lines()).noneMatch(l -> l.contains("Exhausted reconnects"));
  }

  @Test
  void aRefusedConnectionIsNamed() {
    api.proxy().stop();
    String other = "hostnames.other:80"; // a namespace not watched yet: its first list meets the refusal
    try (ServiceHandle refused = discovery.open(other)) {
      // The first attempt may go out on a pooled connection the stop just reset (java.net.http keeps
      // them), and is then rightly named a reset; the refusal that follows is a change of cause, logged.
      await().atMost(WAIT).until(() -> log.warnings(other + ":").stream().anyMatch(l -> l.contains("connection refused")));
      assertThat(log.warnings(other + ":")).noneMatch(l -> l.contains("Exhausted")).hasSizeLessThanOrEqualTo(2);
      await().atMost(WAIT).until(() -> refused.status().failure() == io.kdiscovery.source.FailureKind.UNREACHABLE);
      api.proxy().start();
      await().atMost(WAIT).until(() -> refused.status().state() == State.SYNCED);
      assertThat(log.lines()).filteredOn(l -> l.contains(other + ": back in step")).hasSize(1);
      assertThat(refused.status().failure()).isEqualTo(io.kdiscovery.source.FailureKind.NONE);
    }
  }

  @Test
  void a403NamesTheVerbsToGrant() {
    api.faults().inject(watchOf("endpointslices"), status(403), -1);
    api.proxy().cutConnections();
    assertThat(firstOutageLine()).contains("HTTP 403 Forbidden")
        .contains("verbs get, list, watch on resource endpointslices.discovery.k8s.io");
    assertThat(handle.status().failure()).isEqualTo(io.kdiscovery.source.FailureKind.FORBIDDEN);
  }

  @Test
  void a429IsNamedAsThrottlingWithItsRetryAfter() {
    api.faults().inject(watchOf("endpointslices"), tooManyRequests(1), -1);
    api.proxy().cutConnections();
    // fabric8 keeps no body of a refused WebSocket upgrade, so a watch's 429 carries no Retry-After
    // (a list's does: see WatchBackoffTest); it is still named as throttling, and waits at least 1 s.
    assertThat(firstOutageLine()).contains("HTTP 429 Too Many Requests (throttled by the API server");
    assertThat(handle.status().failure()).isEqualTo(io.kdiscovery.source.FailureKind.THROTTLED);
  }
}
