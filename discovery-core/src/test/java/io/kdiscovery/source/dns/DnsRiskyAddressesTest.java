package io.kdiscovery.source.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.RoutableAddresses;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.source.SourceState;
import io.kdiscovery.testing.FakeScheduler;
import io.kdiscovery.testing.LogCapture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DNS answers naming addresses no pod has (the cloud metadata service, link-local IPv6), from a real
 * dnsmasq: A/AAAA answers and SRV targets alike are skipped with a line naming them, the rest of the
 * answer counts, and an answer of which nothing is left is a failure that keeps the last good state.
 * dnsmasq listens on loopback, so loopback answers are allowed by default (AUTO).
 */
class DnsRiskyAddressesTest {

  private static final String WEB = "web.default.svc.cluster.local";
  private static final String WEB_0 = "web-0." + WEB;
  private static final String METADATA = "metadata." + WEB;
  private static final Duration BOUND = Duration.ofSeconds(15);

  @TempDir Path dir;
  private Dnsmasq dns;
  private DnsEndpointSource source;
  private final FakeScheduler scheduler = new FakeScheduler();

  @AfterEach
  void stopEverything() {
    if (source != null) {
      source.close();
    }
    if (dns != null) {
      dns.close();
    }
    SourceThreads.awaitNoneLeft();
  }

  @Test
  void metadataAndLinkLocalAnswersAreSkippedAndTheRestCounts() throws Exception {
    dns = Dnsmasq.start(dir, "169.254.169.254 " + WEB, "fe80::1 " + WEB, "127.0.0.11 " + WEB);
    try (LogCapture log = new LogCapture()) {
      RecordingListener listener = watch(ServiceKey.of("default", "web", 8080), RoutableAddresses.Loopback.AUTO);

      await().atMost(BOUND).until(() -> listener.lastState() != null);
      assertThat(listener.states()).containsExactly(found(Endpoint.of("127.0.0.11", 8080)));
      assertThat(log.warnings("address 169.254.169.254 of " + WEB + ". skipped")).hasSize(1)
          .allSatisfy(line -> assertThat(line).contains("cloud metadata"));
      assertThat(log.warnings("address fe80:0:0:0:0:0:0:1 of " + WEB + ". skipped")).hasSize(1)
          .allSatisfy(line -> assertThat(line).contains("link-local"));
    }
  }

  @Test
  void anSrvTargetAtTheMetadataAddressIsSkipped() throws Exception {
    dns = Dnsmasq.start(dir,
        List.of("_http._tcp." + WEB + "," + METADATA + ",8080,0,1", "_http._tcp." + WEB + "," + WEB_0 + ",8080,0,1"),
        "169.254.169.254 " + METADATA, "fe80::1 " + METADATA, "127.0.0.11 " + WEB_0);
    try (LogCapture log = new LogCapture()) {
      RecordingListener listener = watch(ServiceKey.of("default", "web", "http"), RoutableAddresses.Loopback.AUTO);

      await().atMost(BOUND).until(() -> listener.lastState() != null);
      assertThat(listener.states()).containsExactly(found(Endpoint.builder("127.0.0.11", 8080).hostname(WEB_0).build()));
      assertThat(log.warnings("address 169.254.169.254 of " + METADATA + ". skipped")).hasSize(1);
    }
  }

  @Test
  void anAnswerOfOnlyRefusedAddressesIsAFailureThatKeepsTheLastGoodState() throws Exception {
    dns = Dnsmasq.start(dir, "10.244.0.5 " + WEB);
    RecordingListener listener = watch(ServiceKey.of("default", "web", 8080), RoutableAddresses.Loopback.DENY);
    await().atMost(BOUND).until(() -> listener.lastState() != null);
    assertThat(listener.lastState()).isEqualTo(found(Endpoint.of("10.244.0.5", 8080)));

    dns.hosts("169.254.169.254 " + WEB, "127.0.0.11 " + WEB); // loopback is denied here
    await().atMost(BOUND).until(() -> {
      scheduler.advance(Duration.ofSeconds(1));
      return listener.events().stream().anyMatch(e -> e.reason() != null && e.reason().contains("no usable record"));
    });
    assertThat(listener.states()).containsOnly(found(Endpoint.of("10.244.0.5", 8080)));
  }

  private RecordingListener watch(ServiceKey key, RoutableAddresses.Loopback loopback) {
    source = DnsEndpointSource.builder()
        .nameServer(dns.address())
        .loopbackEndpoints(loopback)
        .queryTimeout(Duration.ofMillis(500))
        .backoff(Backoff.of(Duration.ofMillis(100), Duration.ofSeconds(1)))
        .scheduler(scheduler)
        .ticker(scheduler.ticker())
        .random(() -> 0.0)
        .build();
    RecordingListener listener = new RecordingListener();
    source.watch(key, listener);
    return listener;
  }

  private static SourceState found(Endpoint... endpoints) {
    return new SourceState(true, ServiceInfo.UNKNOWN, List.of(endpoints));
  }
}
