package io.kdiscovery.source.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.model.ServiceKey;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * The threads of the DNS source, on the real scheduler: few, named, daemon, and gone after
 * {@code close()}. Two threads live as long as the JVM and are not counted: the library's shared
 * timer ({@code kdiscovery-scheduler}) and dnsjava's NIO selector.
 */
class DnsSourceThreadsTest {

  private static final Duration BOUND = Duration.ofSeconds(30);
  private static final Set<String> JVM_LIFETIME = Set.of("kdiscovery-scheduler", "dnsjava NIO selector");

  private ScriptedDnsServer server;
  private Set<Long> baseline;

  @BeforeEach
  void startServer() throws Exception {
    server = new ScriptedDnsServer();
    InetAddress pod = InetAddress.getByAddress(new byte[] {127, 0, 0, 11});
    server.script(q -> q.getQuestion().getType() == Type.A
        ? ScriptedDnsServer.answer(q, Rcode.NOERROR, new ARecord(q.getQuestion().getName(), DClass.IN, 1, pod))
        : ScriptedDnsServer.answer(q, Rcode.NOERROR));
    baseline = liveThreads().stream().map(Thread::getId).collect(Collectors.toSet());
  }

  @AfterEach
  void stopServer() {
    server.close();
  }

  @Test
  void aSourceUsesOneThreadOfItsOwnHoweverManyServicesItWatches() {
    try (DnsEndpointSource source = source()) {
      List<RecordingListener> listeners = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        RecordingListener listener = new RecordingListener();
        source.watch(ServiceKey.of("default", "svc-" + i, 8080), listener);
        listeners.add(listener);
      }
      await().atMost(BOUND).until(() -> listeners.stream().allMatch(l -> l.lastState() != null));

      List<Thread> started = startedSinceBaseline();
      assertThat(started).allSatisfy(t -> {
        assertThat(t.isDaemon()).as("%s is a daemon", t.getName()).isTrue();
        assertThat(t.getName()).matches("kdiscovery-.*|dnsjava.*");
      });
      assertThat(started).filteredOn(t -> !JVM_LIFETIME.contains(t.getName()))
          .extracting(Thread::getName).singleElement().asString().startsWith("kdiscovery-dns-");
    }
  }

  @Test
  void openingAndClosingSourcesFiftyTimesLeavesNoThreadBehind() {
    for (int round = 0; round < 50; round++) {
      try (DnsEndpointSource source = source()) {
        RecordingListener listener = new RecordingListener();
        source.watch(ServiceKey.of("default", "web", 8080), listener);
        source.watch(ServiceKey.of("default", "api", 8080), new RecordingListener());
        await().atMost(BOUND).until(() -> listener.lastState() != null);
      }
    }

    await("every thread of the closed sources to end").atMost(BOUND).untilAsserted(() ->
        assertThat(startedSinceBaseline()).extracting(Thread::getName).isSubsetOf(JVM_LIFETIME));
  }

  private DnsEndpointSource source() {
    return DnsEndpointSource.builder().nameServer(server.address()).queryTimeout(Duration.ofMillis(500)).build();
  }

  /** Threads started since the test began, except Awaitility's own polling thread. */
  private List<Thread> startedSinceBaseline() {
    return liveThreads().stream()
        .filter(t -> !baseline.contains(t.getId()) && !t.getName().startsWith("awaitility"))
        .toList();
  }

  private static Set<Thread> liveThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).collect(Collectors.toSet());
  }
}
