package io.kdiscovery.source.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.SourceState;
import java.net.InetAddress;
import java.time.Duration;
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

/** What a DNS server can do wrong, scripted on a server of the test's own, and what the source makes of it. */
class DnsFailureTest {

  private static final ServiceKey WEB_8080 = ServiceKey.of("default", "web", 8080);
  private static final Duration BOUND = Duration.ofSeconds(15);

  private ScriptedDnsServer server;
  private DnsEndpointSource source;
  private final RecordingListener listener = new RecordingListener();

  @BeforeEach
  void startServer() throws Exception {
    server = new ScriptedDnsServer();
    source = DnsEndpointSource.builder()
        .nameServer(server.address())
        .queryTimeout(Duration.ofMillis(300))
        .backoff(Backoff.of(Duration.ofMillis(50), Duration.ofMillis(200)))
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
    server.script(q -> addresses(q, "127.0.0.11"));
    source.watch(WEB_8080, listener);
    await().atMost(BOUND).until(() -> listener.lastState() != null);
    int seen = listener.events().size();

    server.script(q -> ScriptedDnsServer.answer(q, Rcode.SERVFAIL));
    await().atMost(BOUND).until(() -> listener.eventsAfter(seen).size() >= 2);
    server.script(q -> addresses(q, "127.0.0.11"));
    await().atMost(BOUND).until(() -> listener.eventsAfter(seen).stream().anyMatch(RecordingListener.Event::isState));

    List<RecordingListener.Event> after = listener.eventsAfter(seen);
    int back = after.indexOf(after.stream().filter(RecordingListener.Event::isState).findFirst().orElseThrow());
    assertThat(after.subList(0, back)).allSatisfy(e -> assertThat(e.reason()).contains("SERVFAIL"));
    assertThat(after.get(back).state()).isEqualTo(found(Endpoint.of("127.0.0.11", 8080)));
  }

  @Test
  void refusedQueryIsAFailureNotAState() {
    server.script(q -> ScriptedDnsServer.answer(q, Rcode.REFUSED));

    source.watch(WEB_8080, listener);

    await().atMost(BOUND).until(() -> listener.failures().size() >= 2);
    assertThat(listener.states()).isEmpty();
    assertThat(listener.failures().get(0).reason())
        .contains("REFUSED", "web.default.svc.cluster.local.", "no answer yet");
  }

  @Test
  void unansweredQueryTimesOutAndIsRetried() {
    server.script(q -> null);

    source.watch(WEB_8080, listener);

    await().atMost(BOUND).until(() -> listener.failures().size() >= 2);
    assertThat(listener.states()).isEmpty();
    assertThat(listener.failures().get(0).reason()).contains("timed out");
  }

  @Test
  void malformedAnswerIsAFailureNotAnException() {
    server.script(ScriptedDnsServer::garbage);

    source.watch(WEB_8080, listener);

    await().atMost(BOUND).until(() -> !listener.failures().isEmpty());
    assertThat(listener.states()).isEmpty();
    assertThat(listener.failures().get(0).reason()).contains("malformed");
  }

  @Test
  void answerTruncatedEvenOverTcpIsAFailure() {
    server.script(ScriptedDnsServer::truncated);

    source.watch(WEB_8080, listener);

    await().atMost(BOUND).until(() -> !listener.failures().isEmpty());
    assertThat(listener.states()).isEmpty();
    assertThat(listener.failures().get(0).reason()).contains("truncated");
  }

  @Test
  void nameWithoutRecordsIsAnEmptyStateOfAServiceThatExists() {
    server.script(q -> ScriptedDnsServer.answer(q, Rcode.NOERROR));

    source.watch(WEB_8080, listener);

    await().atMost(BOUND).until(() -> listener.lastState() != null);
    assertThat(listener.events()).first().extracting(RecordingListener.Event::state)
        .isEqualTo(new SourceState(true, ServiceInfo.UNKNOWN, List.of()));
  }

  @Test
  void unspecifiedAndMulticastAddressesAreSkipped() {
    server.script(q -> addresses(q, "0.0.0.0", "127.0.0.12", "224.0.0.1", "::", "127.0.0.11"));

    source.watch(WEB_8080, listener);

    await().atMost(BOUND).until(() -> listener.lastState() != null);
    assertThat(listener.lastState()).isEqualTo(
        found(Endpoint.of("127.0.0.11", 8080), Endpoint.of("127.0.0.12", 8080)));
  }

  @Test
  void listenerThatThrowsDoesNotStopTheWatch() {
    server.script(q -> addresses(q, "127.0.0.11"));
    RecordingListener later = new RecordingListener();
    EndpointSource.Listener throwing = new EndpointSource.Listener() {
      @Override
      public void onState(SourceState state) {
        later.onState(state);
        throw new IllegalStateException("a bug in the listener");
      }

      @Override
      public void onFailure(String reason, Throwable cause) {
        later.onFailure(reason, cause);
      }
    };
    source.watch(WEB_8080, throwing);
    await().atMost(BOUND).until(() -> later.lastState() != null);

    server.script(q -> addresses(q, "127.0.0.12"));

    await().atMost(BOUND).until(() -> found(Endpoint.of("127.0.0.12", 8080)).equals(later.lastState()));
  }

  @Test
  void closedWatchQueriesNoMore() {
    server.script(q -> addresses(q, "127.0.0.11"));
    EndpointSource.Watch watch = source.watch(WEB_8080, listener);
    await().atMost(BOUND).until(() -> listener.lastState() != null);

    watch.close();
    int queries = server.queries();

    // A lookup already under way (A and AAAA) may finish; a refresh every second would add more.
    await().during(Duration.ofMillis(2500)).atMost(BOUND).until(() -> server.queries() <= queries + 2);
  }

  /** A and AAAA answers for these addresses, whatever name was asked. */
  private static byte[] addresses(Message query, String... addresses) {
    Name name = query.getQuestion().getName();
    int type = query.getQuestion().getType();
    List<org.xbill.DNS.Record> records = new java.util.ArrayList<>();
    try {
      for (String a : addresses) {
        InetAddress inet = InetAddress.getByName(a); // IP literals only: no lookup
        if (type == Type.A && inet.getAddress().length == 4) {
          records.add(new ARecord(name, DClass.IN, 1, inet));
        } else if (type == Type.AAAA && inet.getAddress().length == 16) {
          records.add(new AAAARecord(name, DClass.IN, 1, inet));
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
