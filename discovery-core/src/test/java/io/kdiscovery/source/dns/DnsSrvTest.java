package io.kdiscovery.source.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.source.SourceState;
import io.kdiscovery.testing.FakeScheduler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Named ports through SRV records, as cluster DNS publishes them for a StatefulSet's headless Service. */
class DnsSrvTest {

  private static final String WEB = "web.default.svc.cluster.local";
  private static final String WEB_0 = "web-0." + WEB;
  private static final String WEB_1 = "web-1." + WEB;
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
  void twoNamedPortsResolveToTheSamePodsWithTheirOwnPortsWeightsAndHostnames() throws Exception {
    dns = Dnsmasq.start(dir,
        List.of("_http._tcp." + WEB + "," + WEB_0 + ",8080,0,10",
            "_http._tcp." + WEB + "," + WEB_1 + ",8080,0,20",
            "_metrics._tcp." + WEB + "," + WEB_0 + ",9090,0,0",
            "_metrics._tcp." + WEB + "," + WEB_1 + ",9090,0,0"),
        "127.0.0.11 " + WEB_0 + " " + WEB, "127.0.0.12 " + WEB_1 + " " + WEB);

    RecordingListener http = watch(ServiceKey.of("default", "web", "http"));
    RecordingListener metrics = watch(ServiceKey.of("default", "web", "metrics"));

    await().atMost(BOUND).until(() -> http.lastState() != null && metrics.lastState() != null);
    assertThat(http.states()).containsExactly(found(
        Endpoint.builder("127.0.0.11", 8080).hostname(WEB_0).weight(10).build(),
        Endpoint.builder("127.0.0.12", 8080).hostname(WEB_1).weight(20).build()));
    assertThat(metrics.states()).as("weight 0 counts as 1").containsExactly(found(
        Endpoint.builder("127.0.0.11", 9090).hostname(WEB_0).build(),
        Endpoint.builder("127.0.0.12", 9090).hostname(WEB_1).build()));
  }

  @Test
  void onlyTheRecordsWithTheLowestPriorityValueAreUsed() throws Exception {
    dns = Dnsmasq.start(dir,
        List.of("_http._tcp." + WEB + "," + WEB_0 + ",8080,10,1",
            "_http._tcp." + WEB + "," + WEB_1 + ",8080,20,1"),
        "127.0.0.11 " + WEB_0, "127.0.0.12 " + WEB_1);

    RecordingListener http = watch(ServiceKey.of("default", "web", "http"));

    await().atMost(BOUND).until(() -> http.lastState() != null);
    assertThat(http.lastState()).isEqualTo(found(
        Endpoint.builder("127.0.0.11", 8080).hostname(WEB_0).build()));
  }

  @Test
  void targetWithIpv4AndIpv6AddressesIsOneEndpointPerAddress() throws Exception {
    dns = Dnsmasq.start(dir, List.of("_grpc._tcp." + WEB + "," + WEB_0 + ",50051,0,5"),
        "127.0.0.11 " + WEB_0, "2001:db8::11 " + WEB_0);

    RecordingListener grpc = watch(ServiceKey.of("default", "web", "grpc"));

    await().atMost(BOUND).until(() -> grpc.lastState() != null);
    assertThat(grpc.lastState()).isEqualTo(found(
        Endpoint.builder("127.0.0.11", 50051).hostname(WEB_0).weight(5).build(),
        Endpoint.builder("2001:db8::11", 50051).hostname(WEB_0).weight(5).build()));
  }

  @Test
  void podAddedToTheStatefulSetIsSeenAfterTheRecordsChange() throws Exception {
    dns = Dnsmasq.start(dir, List.of("_http._tcp." + WEB + "," + WEB_0 + ",8080,0,1"),
        "127.0.0.11 " + WEB_0, "127.0.0.12 " + WEB_1);
    RecordingListener http = watch(ServiceKey.of("default", "web", "http"));
    await().atMost(BOUND).until(() -> http.lastState() != null);

    dns.srvHosts("_http._tcp." + WEB + "," + WEB_0 + ",8080,0,1",
        "_http._tcp." + WEB + "," + WEB_1 + ",8080,0,1");
    scheduler.advance(Duration.ofSeconds(Dnsmasq.TTL_SECONDS));

    SourceState both = found(Endpoint.builder("127.0.0.11", 8080).hostname(WEB_0).build(),
        Endpoint.builder("127.0.0.12", 8080).hostname(WEB_1).build());
    await().atMost(BOUND).until(() -> http.states().size() == 2);
    assertThat(http.lastState()).isEqualTo(both);
  }

  @Test
  void unknownPortNameIsNotFound() throws Exception {
    dns = Dnsmasq.start(dir, List.of("_http._tcp." + WEB + "," + WEB_0 + ",8080,0,1"),
        "127.0.0.11 " + WEB_0);

    RecordingListener admin = watch(ServiceKey.of("default", "web", "admin"));

    await().atMost(BOUND).until(() -> admin.lastState() != null);
    assertThat(admin.lastState()).isEqualTo(SourceState.notFound(ServiceInfo.UNKNOWN));
  }

  private RecordingListener watch(ServiceKey key) {
    if (source == null) {
      source = DnsEndpointSource.builder()
          .nameServer(dns.address())
          .queryTimeout(Duration.ofMillis(500))
          .backoff(Backoff.of(Duration.ofMillis(100), Duration.ofSeconds(1)))
          .scheduler(scheduler)
          .ticker(scheduler.ticker())
          .random(() -> 0.0)
          .build();
    }
    RecordingListener listener = new RecordingListener();
    source.watch(key, listener);
    return listener;
  }

  private static SourceState found(Endpoint... endpoints) {
    return new SourceState(true, ServiceInfo.UNKNOWN, List.of(endpoints));
  }
}
