package io.kdiscovery.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.source.SourceState;
import io.kdiscovery.testing.LogCapture;
import io.kdiscovery.testing.RecordingListener;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a listener (application code) does wrong stays its own problem: an {@link Error} it throws is
 * reported and deliveries go on, and no caller of the table ever waits for an inline listener.
 */
class ListenerFailureTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final ServiceKey HOSTNAMES = ServiceKey.of("default", "hostnames", 80);

  private final FakeEndpointSource source = new FakeEndpointSource();
  private final EndpointTable table = EndpointTable.builder(source).build();

  @AfterEach
  void close() {
    table.close();
  }

  private static SourceState pods(String... addresses) {
    return new SourceState(true, ServiceInfo.UNKNOWN, Arrays.stream(addresses).map(a -> Endpoint.of(a, 9376)).toList());
  }

  @Test
  void aListenerThatThrowsAnErrorIsReportedAndKeepsReceiving() {
    RecordingListener seenByThrower = new RecordingListener();
    try (LogCapture log = new LogCapture(); ServiceHandle handle = table.open(HOSTNAMES)) {
      handle.subscribe(snapshot -> {
        seenByThrower.onSnapshot(snapshot);
        throw new AssertionError("listener bug on v" + snapshot.version());
      });
      await().atMost(WAIT).until(() -> source.watching(HOSTNAMES));

      source.publish(HOSTNAMES, pods("10.244.0.5"));
      await().atMost(WAIT).until(() -> seenByThrower.snapshots().size() == 1); // it has thrown once
      source.publish(HOSTNAMES, pods("10.244.0.6"));

      await().atMost(WAIT).untilAsserted(
          () -> assertThat(seenByThrower.lastReadyAddresses()).containsExactly("10.244.0.6"));
      assertThat(seenByThrower.snapshots()).extracting(ServiceSnapshot::version).containsExactly(1L, 2L);
      await().atMost(WAIT).untilAsserted(() -> assertThat(log.lines())
          .anyMatch(l -> l.contains("ERROR") && l.contains("AssertionError: listener bug on v1") && l.contains(HOSTNAMES.toString())));
    }
  }

  @Test
  void anInlineListenerThatThrowsAnErrorStopsNeitherThatUpdateNorLaterOnes() {
    RecordingListener seenInline = new RecordingListener();
    try (LogCapture log = new LogCapture(); ServiceHandle handle = table.open(HOSTNAMES)) {
      handle.subscribeInline(snapshot -> {
        seenInline.onSnapshot(snapshot);
        throw new StackOverflowError("inline listener bug");
      });
      await().atMost(WAIT).until(() -> source.watching(HOSTNAMES));

      source.publish(HOSTNAMES, pods("10.244.0.5"));
      assertThat(handle.awaitSnapshot(WAIT).version()).isEqualTo(1); // the update the listener threw in landed
      source.publish(HOSTNAMES, pods("10.244.0.6"));

      await().atMost(WAIT).untilAsserted(() -> assertThat(handle.snapshot().orElseThrow().version()).isEqualTo(2));
      assertThat(seenInline.snapshots()).extracting(ServiceSnapshot::version).containsExactly(1L, 2L);
      assertThat(log.lines()).anyMatch(l -> l.contains("ERROR") && l.contains("StackOverflowError: inline listener bug"));
    }
  }

  @Test
  void subscribingInlineNeverWaitsForAnInlineListenerThatIsRunning() throws InterruptedException {
    CountDownLatch stuck = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    RecordingListener second = new RecordingListener();
    try (ServiceHandle handle = table.open(HOSTNAMES); ServiceHandle other = table.open(HOSTNAMES)) {
      handle.subscribeInline(snapshot -> {
        stuck.countDown();
        try {
          release.await(); // a slow inline listener, running for the update of v1
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      await().atMost(WAIT).until(() -> source.watching(HOSTNAMES));
      source.publish(HOSTNAMES, pods("10.244.0.5"));
      assertThat(stuck.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

      // What a request does when it binds a balancer to a Service (KDiscovery.balance): it must not
      // wait for the update under way.
      CompletableFuture<Subscription> subscribed = CompletableFuture.supplyAsync(() -> other.subscribeInline(second));
      try {
        await().atMost(WAIT).until(subscribed::isDone);
        assertThat(second.snapshots()).isEmpty(); // nothing runs before the update under way has finished
      } finally {
        release.countDown();
      }
      await().atMost(WAIT).untilAsserted(() -> assertThat(second.snapshots()).extracting(ServiceSnapshot::version).containsExactly(1L));
      source.publish(HOSTNAMES, pods("10.244.0.6"));
      await().atMost(WAIT).untilAsserted(() -> assertThat(second.snapshots()).extracting(ServiceSnapshot::version).containsExactly(1L, 2L));
    }
  }
}
