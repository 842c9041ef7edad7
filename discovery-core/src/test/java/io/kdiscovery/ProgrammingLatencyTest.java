package io.kdiscovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.ProgrammingLatency;
import io.kdiscovery.table.ProgrammingLatency.Stage;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import io.kdiscovery.testing.LogCapture;
import io.kdiscovery.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * "How late am I": slices stamped with the EndpointSlice controller's
 * {@code endpoints.kubernetes.io/last-change-trigger-time} give each change's latency to the table and
 * to the balancer, on an injected clock that stands still, so every latency is known exactly.
 */
class ProgrammingLatencyTest {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Instant START = Instant.parse("2026-03-01T10:00:00Z");

  private final MutableClock clock = new MutableClock(START);
  private final List<ProgrammingLatency> measured = new CopyOnWriteArrayList<>();
  private ApiServer api;
  private KDiscovery discovery;
  private BalancedService hostnames;
  private int change;

  @BeforeEach
  void start() {
    api = new ApiServer();
    api.apply(Hostnames.service());
    // Written an hour before the application started: its first snapshot is no change to time.
    api.apply(slice(START.minus(Duration.ofHours(1)).toString()));
    discovery = KDiscovery.builder().kubernetesClient(api.client()).clock(clock).build();
    discovery.onProgrammingLatency(measured::add);
    hostnames = discovery.balance("hostnames:80", LoadBalancer.builder());
    assertThat(hostnames.awaitSnapshot(WAIT).changeTriggeredAt()).isEmpty();
    clock.set(START.plus(Duration.ofMinutes(1)));
  }

  @AfterEach
  void stop() {
    hostnames.close();
    discovery.close();
    api.close();
  }

  @Test
  void eachChangeIsTimedFromItsTriggerToTheTableAndToTheBalancer() {
    for (int i = 1; i <= 5; i++) {
      Instant trigger = clock.instant().minusMillis(120L * i);
      ServiceSnapshot snapshot = applyAndAwait(slice(trigger.toString()));
      assertThat(snapshot.changeTriggeredAt()).contains(trigger);
      assertThat(hostnames.balancer().snapshot().version()).isEqualTo(snapshot.version());
      int expected = 2 * i;
      await().atMost(WAIT).until(() -> measured.size() == expected);
    }
    assertThat(measured).filteredOn(m -> m.stage() == Stage.TABLE).extracting(m -> m.latency().toMillis())
        .containsExactly(120L, 240L, 360L, 480L, 600L);
    assertThat(measured).filteredOn(m -> m.stage() == Stage.BALANCER).extracting(m -> m.latency().toMillis())
        .containsExactly(120L, 240L, 360L, 480L, 600L);
    assertThat(measured).allSatisfy(m -> {
      assertThat(m.service().name()).isEqualTo("hostnames");
      assertThat(m.clockSkewed()).isFalse();
    });
  }

  @Test
  void aTriggerInTheFutureIsClampedToZeroAndFlagged() {
    Instant ahead = clock.instant().plusSeconds(3); // the control plane's clock runs ahead of ours
    applyAndAwait(slice(ahead.toString()));
    await().atMost(WAIT).until(() -> measured.size() == 2);
    assertThat(measured).allSatisfy(m -> {
      assertThat(m.latency()).isEqualTo(Duration.ZERO);
      assertThat(m.clockSkewed()).isTrue();
      assertThat(m.triggeredAt()).isEqualTo(ahead);
    });
  }

  @Test
  void slicesWithoutTheAnnotationAreNotTimed() {
    ServiceSnapshot snapshot = applyAndAwait(slice(null));
    assertThat(snapshot.changeTriggeredAt()).isEmpty();
    // A timed change after it shows the listener was live: only that one was measured.
    applyAndAwait(slice(clock.instant().minusMillis(50).toString()));
    await().atMost(WAIT).until(() -> measured.size() == 2);
    assertThat(measured).extracting(m -> m.latency().toMillis()).containsExactly(50L, 50L);
  }

  @Test
  void aMalformedTriggerTimeIsSkippedWithOneWarning() {
    try (LogCapture log = new LogCapture()) {
      assertThat(applyAndAwait(slice("yesterday at noon")).changeTriggeredAt()).isEmpty();
      assertThat(applyAndAwait(slice("yesterday at noon")).changeTriggeredAt()).isEmpty();
      assertThat(log.warnings("is not an RFC 3339 time")).hasSize(1);
    }
    assertThat(measured).isEmpty();
  }

  @Test
  void aChangeThatLeavesThePortAsItWasIsNotTimed() {
    // Same endpoints, new trigger time: the table publishes nothing, so there is nothing to time.
    change = 0; // slice() flips the third pod: from 0 it makes it ready, as the first slice had it
    api.apply(slice(clock.instant().minusMillis(10).toString()));
    applyAndAwait(slice(clock.instant().minusMillis(70).toString()));
    await().atMost(WAIT).until(() -> measured.size() == 2);
    assertThat(measured).extracting(m -> m.latency().toMillis()).containsExactly(70L, 70L);
  }

  private ServiceSnapshot applyAndAwait(EndpointSlice slice) {
    long before = hostnames.handle().snapshot().orElseThrow().version();
    api.apply(slice);
    await().atMost(WAIT).until(() -> hostnames.handle().snapshot().orElseThrow().version() > before);
    return hostnames.handle().snapshot().orElseThrow();
  }

  /** The next change: the third pod's readiness flips every time; stamped with {@code trigger}, if any. */
  private EndpointSlice slice(String trigger) {
    change++;
    Hostnames.SliceBuilder builder = Hostnames.slice("hostnames-abc")
        .ready("hostnames-1", "127.0.0.11").ready("hostnames-2", "127.0.0.12");
    EndpointSlice slice = (change % 2 == 1 ? builder.ready("hostnames-3", "127.0.0.13")
        : builder.notReady("hostnames-3", "127.0.0.13")).build();
    if (trigger != null) {
      slice.getMetadata().getAnnotations().put("endpoints.kubernetes.io/last-change-trigger-time", trigger);
    }
    return slice;
  }
}
