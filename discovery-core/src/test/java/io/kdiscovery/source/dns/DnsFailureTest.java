package io.kdiscovery.source.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.SourceState;
import io.kdiscovery.testing.FakeScheduler;
import io.kdiscovery.testing.FakeTicker;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * What a DNS server can do wrong, scripted on a real server of the test's own on loopback, and what
 * the source makes of it. Refreshes and retries run on fake time: the answers are real UDP/TCP, the
 * clock is the test's, so every delay is asserted exactly and nothing waits for a timer.
 *
 * <p>With the random source fixed at 0 there is no refresh jitter and a backoff delay is the lower
 * half of its range: 50 ms initial backoff gives retries after 25, 50, 100, 100 ms (capped at 200 / 2).
 */
class DnsFailureTest {

  private static final ServiceKey WEB_8080 = ServiceKey.of("default", "web", 8080);
  /** Bounds only the real network round trips; fake time does not pass while the test waits. */
  private static final Duration BOUND = Duration.ofSeconds(15);
  private static final Duration MIN_REFRESH = Duration.ofSeconds(1);
  private static final Duration MAX_REFRESH = Duration.ofSeconds(30);

  private final FakeTicker ticker = new FakeTicker();
  private final FakeScheduler scheduler = new FakeScheduler(ticker);
  private final RecordingListener listener = new RecordingListener();
  private ScriptedDnsServer server;
  private DnsEndpointSource source;

  @BeforeEach
  void startServer() throws Exception {
    server = new ScriptedDnsServer();
    source = DnsEndpointSource.builder()
        .nameServer(server.address())
        .queryTimeout(Duration.ofMillis(300))
        .minRefresh(MIN_REFRESH)
        .maxRefresh(MAX_REFRESH)
        .backoff(Backoff.of(Duration.ofMillis(50), Duration.ofMillis(200)))
        .scheduler(scheduler)
        .ticker(ticker)
        .random(() -> 0.0)
        .build();
  }

  @AfterEach
  void stopEverything() throws Exception {
    source.close();
    server.close();
    assertThat(listener.callsOverlapped()).isFalse();
    SourceThreads.awaitNoneLeft();
  }

  @Test
  void servfailKeepsTheLastStateAndTheNextAnswerIsDeliveredAgain() {
    server.script(q -> addresses(q, 1, "127.0.0.11"));
    source.watch(WEB_8080, listener);
    awaitEvents(1);

    server.script(q -> ScriptedDnsServer.answer(q, Rcode.SERVFAIL));
    scheduler.advance(MIN_REFRESH);
    awaitEvents(2);
    scheduler.advance(Duration.ofMillis(25));
    awaitEvents(3);
    server.script(q -> addresses(q, 1, "127.0.0.11"));
    scheduler.advance(Duration.ofMillis(50));
    awaitEvents(4);

    List<RecordingListener.Event> events = listener.events();
    assertThat(events.get(0).state()).isEqualTo(found(Endpoint.of("127.0.0.11", 8080)));
    assertThat(events.subList(1, 3)).allSatisfy(e -> assertThat(e.reason()).contains("SERVFAIL"));
    assertThat(events.get(3).state()).as("the same pods, delivered again after the failures")
        .isEqualTo(found(Endpoint.of("127.0.0.11", 8080)));
  }

  @Test
  void failuresInARowBackOffExponentiallyUpToTheMaximumThenRefreshFollowsTheTtl() {
    server.script(q -> ScriptedDnsServer.answer(q, Rcode.REFUSED));
    source.watch(WEB_8080, listener);

    List<Duration> retries = new ArrayList<>();
    for (int failure = 1; failure <= 5; failure++) {
      awaitEvents(failure);
      Duration next = scheduler.pendingDelays().get(0);
      retries.add(next);
      if (failure == 5) {
        server.script(q -> addresses(q, 7, "127.0.0.11"));
      }
      scheduler.advance(next);
    }
    awaitEvents(6);

    assertThat(retries).containsExactly(Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(100));
    assertThat(listener.failures()).hasSize(5);
    assertThat(listener.failures().get(0).reason())
        .contains("REFUSED", "web.default.svc.cluster.local.", "no answer yet");
    assertThat(listener.lastState()).isEqualTo(found(Endpoint.of("127.0.0.11", 8080)));
    assertThat(scheduler.pendingDelays()).as("after an answer, the next query waits for its 7 s TTL")
        .containsExactly(Duration.ofSeconds(7));
  }

  @Test
  void answerIsQueriedAgainExactlyWhenItsTtlRunsOut() {
    server.script(q -> addresses(q, 5, "127.0.0.11"));
    source.watch(WEB_8080, listener);
    awaitEvents(1);
    int queries = server.queries();

    scheduler.advance(Duration.ofMillis(4999));
    assertThat(server.queries()).as("no query before the TTL ran out").isEqualTo(queries);

    server.script(q -> addresses(q, 5, "127.0.0.12"));
    scheduler.advance(Duration.ofMillis(1));
    awaitEvents(2);
    assertThat(listener.lastState()).isEqualTo(found(Endpoint.of("127.0.0.12", 8080)));
  }

  @Test
  void ttlsOutsideTheRefreshBoundsAreClampedToThem() {
    server.script(q -> addresses(q, 0, "127.0.0.11"));
    source.watch(WEB_8080, listener);
    awaitEvents(1);
    assertThat(scheduler.pendingDelays()).as("TTL 0 waits minRefresh").containsExactly(MIN_REFRESH);

    server.script(q -> addresses(q, 86_400, "127.0.0.12"));
    scheduler.advance(MIN_REFRESH);
    awaitEvents(2);
    assertThat(scheduler.pendingDelays()).as("a day's TTL waits maxRefresh").containsExactly(MAX_REFRESH);
  }

  @Test
  void failureReasonsSayHowOldTheLastAnswerIsOnTheInjectedClock() {
    server.script(q -> addresses(q, 1, "127.0.0.11"));
    source.watch(WEB_8080, listener);
    awaitEvents(1);

    server.script(q -> ScriptedDnsServer.answer(q, Rcode.SERVFAIL));
    scheduler.advance(MIN_REFRESH);
    awaitEvents(2);
    scheduler.advance(Duration.ofMillis(25));
    awaitEvents(3);

    assertThat(listener.failures()).extracting(RecordingListener.Event::reason).satisfiesExactly(
        first -> assertThat(first).endsWith("last answer 1000 ms ago"),
        second -> assertThat(second).endsWith("last answer 1025 ms ago"));
  }

  @Test
  void unansweredQueryTimesOutAndIsRetriedAfterTheBackoff() {
    server.script(q -> null);
    source.watch(WEB_8080, listener);
    awaitEvents(1); // the 300 ms query timeout is the resolver's, on real time
    assertThat(listener.failures().get(0).reason()).contains("timed out");
    int queries = server.queries();

    assertThat(scheduler.pendingDelays()).containsExactly(Duration.ofMillis(25));
    scheduler.advance(Duration.ofMillis(25));
    awaitEvents(2);

    assertThat(server.queries()).isGreaterThan(queries);
    assertThat(listener.states()).isEmpty();
  }

  @Test
  void malformedAnswerIsAFailureThatKeepsTheLastState() {
    server.script(q -> addresses(q, 1, "127.0.0.11"));
    source.watch(WEB_8080, listener);
    awaitEvents(1);

    server.script(ScriptedDnsServer::garbage);
    scheduler.advance(MIN_REFRESH);
    awaitEvents(2);

    assertThat(listener.states()).containsExactly(found(Endpoint.of("127.0.0.11", 8080)));
    assertThat(listener.failures()).singleElement()
        .satisfies(e -> assertThat(e.reason()).contains("malformed"));
  }

  @Test
  void answerTruncatedEvenOverTcpIsAFailureThatKeepsTheLastState() {
    server.script(q -> addresses(q, 1, "127.0.0.11"));
    source.watch(WEB_8080, listener);
    awaitEvents(1);

    server.script(ScriptedDnsServer::truncated);
    scheduler.advance(MIN_REFRESH);
    awaitEvents(2);

    assertThat(listener.states()).containsExactly(found(Endpoint.of("127.0.0.11", 8080)));
    assertThat(listener.failures()).singleElement()
        .satisfies(e -> assertThat(e.reason()).contains("truncated"));
  }

  @Test
  void answerWhoseRecordsAreAllUnusableIsAFailureNotAnEmptyTable() {
    server.script(q -> addresses(q, 1, "127.0.0.11"));
    source.watch(WEB_8080, listener);
    awaitEvents(1);

    server.script(q -> addresses(q, 1, "0.0.0.0", "224.0.0.1", "::"));
    scheduler.advance(MIN_REFRESH);
    awaitEvents(2);

    assertThat(listener.states()).containsExactly(found(Endpoint.of("127.0.0.11", 8080)));
    assertThat(listener.failures()).singleElement().satisfies(e -> assertThat(e.reason())
        .contains("no usable record", "0.0.0.0", "224.0.0.1"));
  }

  @Test
  void everyKindOfBrokenAnswerInTurnNeverLosesTheLastGoodState() {
    server.script(q -> addresses(q, 1, "127.0.0.11", "127.0.0.12"));
    source.watch(WEB_8080, listener);
    awaitEvents(1);
    SourceState good = listener.lastState();

    List<java.util.function.Function<Message, byte[]>> broken = List.of(
        q -> ScriptedDnsServer.answer(q, Rcode.SERVFAIL),
        ScriptedDnsServer::garbage,
        ScriptedDnsServer::truncated,
        q -> ScriptedDnsServer.answer(q, Rcode.REFUSED),
        q -> addresses(q, 1, "0.0.0.0"),
        q -> null);
    int events = 1;
    for (var script : broken) {
      server.script(script);
      scheduler.advance(scheduler.nextDelay().orElseThrow());
      awaitEvents(++events);
    }
    server.script(q -> addresses(q, 1, "127.0.0.11", "127.0.0.12"));
    scheduler.advance(scheduler.nextDelay().orElseThrow());
    awaitEvents(++events);

    assertThat(listener.states()).as("no state but the good one, before and after").containsExactly(good, good);
    assertThat(listener.failures()).hasSize(broken.size());
  }

  @Test
  void nameWithoutRecordsIsAnEmptyStateOfAServiceThatExists() {
    server.script(q -> ScriptedDnsServer.answer(q, Rcode.NOERROR));

    source.watch(WEB_8080, listener);

    awaitEvents(1);
    assertThat(listener.events()).first().extracting(RecordingListener.Event::state)
        .isEqualTo(new SourceState(true, ServiceInfo.UNKNOWN, List.of()));
  }

  @Test
  void unspecifiedAndMulticastAddressesAreSkipped() {
    server.script(q -> addresses(q, 1, "0.0.0.0", "127.0.0.12", "224.0.0.1", "::", "127.0.0.11"));

    source.watch(WEB_8080, listener);

    awaitEvents(1);
    assertThat(listener.lastState()).isEqualTo(
        found(Endpoint.of("127.0.0.11", 8080), Endpoint.of("127.0.0.12", 8080)));
  }

  @Test
  void listenerThatThrowsDoesNotStopTheWatch() {
    server.script(q -> addresses(q, 1, "127.0.0.11"));
    RecordingListener later = new RecordingListener();
    EndpointSource.Listener throwing = new EndpointSource.Listener() {
      @Override
      public void onState(SourceState state) {
        later.onState(state);
        throw new IllegalStateException("a bug in the listener (logged on purpose by this test)");
      }

      @Override
      public void onFailure(String reason, Throwable cause) {
        later.onFailure(reason, cause);
      }
    };
    source.watch(WEB_8080, throwing);
    await().atMost(BOUND).until(() -> later.lastState() != null);

    server.script(q -> addresses(q, 1, "127.0.0.12"));
    scheduler.advance(MIN_REFRESH);

    await().atMost(BOUND).until(() -> found(Endpoint.of("127.0.0.12", 8080)).equals(later.lastState()));
  }

  @Test
  void closedWatchQueriesNoMore() {
    server.script(q -> addresses(q, 1, "127.0.0.11"));
    EndpointSource.Watch watch = source.watch(WEB_8080, listener);
    awaitEvents(1);
    assertThat(scheduler.pendingCount()).isEqualTo(1);

    watch.close();
    int queries = server.queries();
    scheduler.advance(Duration.ofHours(1));

    assertThat(scheduler.pendingCount()).as("the pending refresh was cancelled").isZero();
    assertThat(scheduler.ranCount()).isZero();
    assertThat(server.queries()).isEqualTo(queries);
  }

  @Test
  void closedSourceCancelsEveryPendingRefresh() {
    server.script(q -> addresses(q, 1, "127.0.0.11"));
    RecordingListener other = new RecordingListener();
    source.watch(WEB_8080, listener);
    source.watch(ServiceKey.of("default", "api", 8080), other);
    awaitEvents(1);
    await().atMost(BOUND).until(() -> other.lastState() != null);
    assertThat(scheduler.pendingCount()).isEqualTo(2);

    source.close();

    assertThat(scheduler.pendingCount()).isZero();
  }

  private void awaitEvents(int count) {
    await().atMost(BOUND).until(() -> listener.events().size() >= count);
    assertThat(listener.events()).as("exactly one delivery per lookup").hasSize(count);
  }

  /** A and AAAA answers for these addresses with this TTL, whatever name was asked. */
  private static byte[] addresses(Message query, long ttl, String... addresses) {
    Name name = query.getQuestion().getName();
    int type = query.getQuestion().getType();
    List<org.xbill.DNS.Record> records = new ArrayList<>();
    try {
      for (String a : addresses) {
        InetAddress inet = InetAddress.getByName(a); // IP literals only: no lookup
        if (type == Type.A && inet.getAddress().length == 4) {
          records.add(new ARecord(name, DClass.IN, ttl, inet));
        } else if (type == Type.AAAA && inet.getAddress().length == 16) {
          records.add(new AAAARecord(name, DClass.IN, ttl, inet));
        }
      }
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
    return ScriptedDnsServer.answer(query, Rcode.NOERROR, records.toArray(org.xbill.DNS.Record[]::new));
  }

  private static SourceState found(Endpoint... endpoints) {
    return new SourceState(true, ServiceInfo.UNKNOWN, List.of(endpoints));
  }
}
