package io.kdiscovery.source.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.EndpointConditions;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.SourceState;
import io.kdiscovery.testing.FakeScheduler;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DNS source against a real dnsmasq serving a headless Service's records with a 1 s TTL. The
 * answers are real; refreshes and retries run on fake time, so "within a TTL" is exact.
 */
class DnsEndpointSourceTest {

  private static final String WEB = "web.default.svc.cluster.local";
  private static final ServiceKey WEB_8080 = ServiceKey.of("default", "web", 8080);
  /** Bounds only the real round trips to dnsmasq; fake time does not pass while the test waits. */
  private static final Duration BOUND = Duration.ofSeconds(15);
  private static final Duration TTL = Duration.ofSeconds(Dnsmasq.TTL_SECONDS);

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
  void threePodsAreThreeReadyEndpointsAtTheGivenPort() throws Exception {
    dns = Dnsmasq.start(dir, "127.0.0.13 " + WEB, "127.0.0.11 " + WEB, "127.0.0.12 " + WEB);

    RecordingListener listener = watch(WEB_8080);

    await().atMost(BOUND).until(() -> listener.lastState() != null);
    assertThat(listener.events()).singleElement().extracting(RecordingListener.Event::state)
        .isEqualTo(found(Endpoint.of("127.0.0.11", 8080), Endpoint.of("127.0.0.12", 8080),
            Endpoint.of("127.0.0.13", 8080)));
    assertThat(listener.lastState().endpoints()).allSatisfy(e -> {
      assertThat(e.conditions()).isEqualTo(EndpointConditions.READY);
      assertThat(e.weight()).isEqualTo(1);
    });
  }

  @Test
  void removedPodDisappearsAndAddedPodAppearsWithinATtl() throws Exception {
    dns = Dnsmasq.start(dir, "127.0.0.11 " + WEB, "127.0.0.12 " + WEB, "127.0.0.13 " + WEB);
    RecordingListener listener = watch(WEB_8080);
    await().atMost(BOUND).until(() -> listener.lastState() != null);

    dns.hosts("127.0.0.11 " + WEB, "127.0.0.13 " + WEB);
    scheduler.advance(TTL);
    await().atMost(BOUND).until(() -> listener.states().size() == 2);
    assertThat(listener.lastState()).isEqualTo(found(Endpoint.of("127.0.0.11", 8080),
        Endpoint.of("127.0.0.13", 8080)));

    dns.hosts("127.0.0.11 " + WEB, "127.0.0.13 " + WEB, "127.0.0.14 " + WEB);
    scheduler.advance(TTL);
    await().atMost(BOUND).until(() -> listener.states().size() == 3);
    assertThat(listener.lastState()).isEqualTo(found(Endpoint.of("127.0.0.11", 8080),
        Endpoint.of("127.0.0.13", 8080), Endpoint.of("127.0.0.14", 8080)));
    assertThat(listener.failures()).isEmpty();
    assertThat(listener.callsOverlapped()).isFalse();
  }

  @Test
  void unchangedRecordsAreQueriedEveryTtlButDeliveredOnce() throws Exception {
    dns = Dnsmasq.start(dir, "127.0.0.11 " + WEB);
    RecordingListener listener = watch(WEB_8080);
    await().atMost(BOUND).until(() -> listener.lastState() != null);

    for (int refresh = 0; refresh < 5; refresh++) {
      long ran = scheduler.ranCount();
      scheduler.advance(TTL);
      assertThat(scheduler.ranCount()).as("one refresh per TTL").isEqualTo(ran + 1);
      await().atMost(BOUND).until(() -> scheduler.pendingCount() == 1); // answered, next one pending
    }

    assertThat(listener.events()).hasSize(1);
  }

  @Test
  void downServerIsAFailureThatKeepsTheLastStateUntilItAnswersAgain() throws Exception {
    dns = Dnsmasq.start(dir, "127.0.0.11 " + WEB, "127.0.0.12 " + WEB);
    RecordingListener listener = watch(WEB_8080);
    await().atMost(BOUND).until(() -> listener.lastState() != null);
    SourceState before = listener.lastState();
    int seen = listener.events().size();

    dns.stop();
    scheduler.advance(TTL);
    await().atMost(BOUND).until(() -> listener.eventsAfter(seen).size() == 1);
    scheduler.advance(scheduler.nextDelay().orElseThrow()); // the backoff
    await().atMost(BOUND).until(() -> listener.eventsAfter(seen).size() == 2);
    dns.restart();
    scheduler.advance(scheduler.nextDelay().orElseThrow());
    await().atMost(BOUND).until(() -> listener.eventsAfter(seen).size() == 3);

    List<RecordingListener.Event> during = listener.eventsAfter(seen);
    RecordingListener.Event back = during.stream().filter(RecordingListener.Event::isState)
        .findFirst().orElseThrow();
    List<RecordingListener.Event> outage = during.subList(0, during.indexOf(back));
    assertThat(outage).hasSizeGreaterThanOrEqualTo(2).allSatisfy(e -> {
      assertThat(e.isState()).isFalse();
      assertThat(e.reason()).contains(WEB + ".");
    });
    assertThat(back.state()).as("the same pods, delivered again after the outage").isEqualTo(before);
  }

  @Test
  void unknownServiceIsNotFound() throws Exception {
    dns = Dnsmasq.start(dir, "127.0.0.11 " + WEB);

    RecordingListener listener = watch(ServiceKey.of("default", "missing", 8080));

    await().atMost(BOUND).until(() -> listener.lastState() != null);
    assertThat(listener.events()).singleElement().extracting(RecordingListener.Event::state)
        .isEqualTo(SourceState.notFound(ServiceInfo.UNKNOWN));
  }

  @Test
  void serviceThatAppearsAfterNxdomainIsFound() throws Exception {
    dns = Dnsmasq.start(dir, "127.0.0.11 other.default.svc.cluster.local");
    RecordingListener listener = watch(WEB_8080);
    await().atMost(BOUND).until(() -> listener.lastState() != null);

    dns.hosts("127.0.0.11 " + WEB);
    scheduler.advance(scheduler.nextDelay().orElseThrow()); // NXDOMAIN without SOA: minRefresh

    await().atMost(BOUND).until(() -> listener.states().size() == 2);
    assertThat(listener.states()).containsExactly(
        SourceState.notFound(ServiceInfo.UNKNOWN), found(Endpoint.of("127.0.0.11", 8080)));
  }

  @Test
  void ipv6PodsComeFromAaaaRecordsAfterTheIpv4Ones() throws Exception {
    dns = Dnsmasq.start(dir, "2001:db8::12 " + WEB, "127.0.0.11 " + WEB, "2001:db8::11 " + WEB);

    RecordingListener listener = watch(WEB_8080);

    await().atMost(BOUND).until(() -> listener.lastState() != null);
    assertThat(listener.lastState()).isEqualTo(found(Endpoint.of("127.0.0.11", 8080),
        Endpoint.of("2001:db8::11", 8080), Endpoint.of("2001:db8::12", 8080)));
  }

  @Test
  void secondNameServerAnswersWhenTheFirstIsDown() throws Exception {
    dns = Dnsmasq.start(dir, "127.0.0.11 " + WEB);
    InetSocketAddress down;
    try (ScriptedDnsServer stopped = new ScriptedDnsServer()) {
      down = stopped.address();
    }
    source = DnsEndpointSource.builder()
        .nameServers(List.of(down, dns.address()))
        .queryTimeout(Duration.ofMillis(500))
        .build();
    RecordingListener listener = new RecordingListener();

    source.watch(WEB_8080, listener);

    await().atMost(BOUND).until(() -> listener.lastState() != null);
    assertThat(listener.events()).singleElement().extracting(RecordingListener.Event::state)
        .isEqualTo(found(Endpoint.of("127.0.0.11", 8080)));
  }

  private RecordingListener watch(ServiceKey key) {
    if (source == null) {
      source = DnsEndpointSource.builder()
          .nameServer(dns.address())
          .queryTimeout(Duration.ofMillis(500))
          .minRefresh(Duration.ofSeconds(1))
          .maxRefresh(Duration.ofSeconds(5))
          .backoff(Backoff.of(Duration.ofMillis(100), Duration.ofSeconds(1)))
          .scheduler(scheduler)
          .ticker(scheduler.ticker())
          .random(() -> 0.0)
          .build();
    }
    RecordingListener listener = new RecordingListener();
    EndpointSource.Watch unused = source.watch(key, listener);
    assertThat(unused).isNotNull();
    return listener;
  }

  static SourceState found(Endpoint... endpoints) {
    return new SourceState(true, ServiceInfo.UNKNOWN, List.of(endpoints));
  }
}
