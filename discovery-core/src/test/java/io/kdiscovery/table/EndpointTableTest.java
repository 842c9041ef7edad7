package io.kdiscovery.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.source.SourceState;
import io.kdiscovery.testing.FakeScheduler;
import io.kdiscovery.testing.RecordingListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The table's contract, on a source the test drives by hand. */
class EndpointTableTest {

  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final ServiceKey HOSTNAMES = ServiceKey.of("default", "hostnames", 80);

  private final FakeEndpointSource source = new FakeEndpointSource();
  private final Clock clock = Clock.fixed(Instant.parse("2026-11-24T12:00:00Z"), ZoneOffset.UTC);
  private EndpointTable table = EndpointTable.builder(source).clock(clock).build();

  @AfterEach
  void close() {
    table.close();
  }

  private static SourceState pods(String... addresses) {
    return new SourceState(true, ServiceInfo.UNKNOWN,
        java.util.Arrays.stream(addresses).map(a -> Endpoint.of(a, 9376)).toList());
  }

  @Test
  void oneWatchIsSharedByEveryHandleOfAServiceAndStopsAfterTheLast() {
    ServiceHandle first = table.open(HOSTNAMES);
    ServiceHandle second = table.open(HOSTNAMES);
    await().atMost(WAIT).until(() -> source.watching(HOSTNAMES));

    first.close();
    first.close(); // a second close changes nothing
    assertThat(source.watching(HOSTNAMES)).isTrue();
    second.close();

    await().atMost(WAIT).until(() -> !source.watching(HOSTNAMES));
    assertThat(source.watchesStarted).hasValue(1);
    assertThat(table.services()).isEmpty();
  }

  @Test
  void anIdleTimeoutKeepsTheWatchForAHandleReopenedInTime() {
    FakeScheduler scheduler = new FakeScheduler();
    table.close();
    table = EndpointTable.builder(source).idleTimeout(Duration.ofSeconds(30)).scheduler(scheduler).build();
    table.open(HOSTNAMES).close();
    scheduler.advance(Duration.ofSeconds(29));
    ServiceHandle reopened = table.open(HOSTNAMES);
    scheduler.advance(Duration.ofMinutes(5)); // the stop was cancelled: nothing falls due
    await().atMost(WAIT).until(() -> source.watching(HOSTNAMES));

    assertThat(source.watchesStarted).hasValue(1);
    assertThat(source.closedWatches).isEmpty();
    assertThat(table.services()).hasSize(1);
    reopened.close();
  }

  @Test
  void anIdleTimeoutStopsTheWatchExactlyWhenItRunsOut() {
    FakeScheduler scheduler = new FakeScheduler();
    table.close();
    table = EndpointTable.builder(source).idleTimeout(Duration.ofSeconds(30)).scheduler(scheduler).build();
    table.open(HOSTNAMES).close();
    await().atMost(WAIT).until(() -> source.watching(HOSTNAMES));

    scheduler.advance(Duration.ofSeconds(29));
    assertThat(table.services()).hasSize(1);
    assertThat(source.closedWatches).isEmpty();

    scheduler.advance(Duration.ofSeconds(1));
    await().atMost(WAIT).until(() -> source.closedWatches.contains(HOSTNAMES));
    assertThat(table.services()).isEmpty();
  }

  @Test
  void theFirstSnapshotCanBeAwaitedAndLaterOnesAreDeliveredInOrder() {
    RecordingListener listener = new RecordingListener();
    try (ServiceHandle handle = table.open(HOSTNAMES)) {
      handle.subscribe(listener);
      await().atMost(WAIT).until(() -> source.watching(HOSTNAMES));
      source.publish(HOSTNAMES, pods("10.244.0.5"));

      ServiceSnapshot first = handle.awaitSnapshot(WAIT);
      assertThat(first.version()).isEqualTo(1);
      assertThat(first.createdAt()).isEqualTo(clock.instant());
      // A listener that falls behind skips to the newest snapshot (its contract), so let the first
      // delivery land before publishing more; otherwise a busy machine coalesces v1 away.
      await().atMost(WAIT).until(() -> listener.last() != null);

      source.publish(HOSTNAMES, pods("10.244.0.5", "10.244.0.6"));
      source.publish(HOSTNAMES, pods("10.244.0.6"));

      await().atMost(WAIT).untilAsserted(() -> assertThat(listener.lastReadyAddresses()).containsExactly("10.244.0.6"));
      assertThat(listener.snapshots()).extracting(ServiceSnapshot::version).isSorted().doesNotHaveDuplicates();
      assertThat(listener.snapshots().get(0)).isEqualTo(first);
    }
  }

  @Test
  void awaitingASnapshotAfterLaterChangesReturnsTheLatestNotTheFirst() {
    try (ServiceHandle handle = table.open(HOSTNAMES)) {
      await().atMost(WAIT).until(() -> source.watching(HOSTNAMES));
      source.publish(HOSTNAMES, pods("10.244.0.5"));
      source.publish(HOSTNAMES, pods("10.244.0.6"));
      await().atMost(WAIT).untilAsserted(() ->
          assertThat(handle.snapshot()).hasValueSatisfying(s -> assertThat(s.version()).isEqualTo(2)));

      ServiceSnapshot awaited = handle.awaitSnapshot(WAIT);

      assertThat(awaited.version()).isEqualTo(2);
      assertThat(handle.firstSnapshot().join().version()).isEqualTo(1);
    }
  }

  @Test
  void anUnchangedStateIsNotANewVersion() {
    try (ServiceHandle handle = table.open(HOSTNAMES)) {
      await().atMost(WAIT).until(() -> source.watching(HOSTNAMES));
      source.publish(HOSTNAMES, pods("10.244.0.5"));
      source.publish(HOSTNAMES, pods("10.244.0.5"));
      source.publish(HOSTNAMES, pods("10.244.0.6"));

      await().atMost(WAIT).untilAsserted(() ->
          assertThat(handle.snapshot()).hasValueSatisfying(s -> assertThat(s.version()).isEqualTo(2)));
    }
  }

  @Test
  void aSlowListenerDelaysOnlyItselfAndThenGetsTheNewestSnapshot() throws InterruptedException {
    CountDownLatch release = new CountDownLatch(1);
    RecordingListener slow = new RecordingListener();
    RecordingListener fast = new RecordingListener();
    try (ServiceHandle handle = table.open(HOSTNAMES)) {
      handle.subscribe(snapshot -> {
        slow.onSnapshot(snapshot);
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      handle.subscribe(fast);
      await().atMost(WAIT).until(() -> source.watching(HOSTNAMES));

      source.publish(HOSTNAMES, pods("10.244.0.5"));
      // Let the slow listener enter its first call before more arrive; were it not yet called, it
      // would rightly skip to the newest snapshot and never see v1.
      await().atMost(WAIT).until(() -> slow.snapshots().size() == 1);
      source.publish(HOSTNAMES, pods("10.244.0.6"));
      source.publish(HOSTNAMES, pods("10.244.0.7"));
      await().atMost(WAIT).untilAsserted(() -> assertThat(fast.lastReadyAddresses()).containsExactly("10.244.0.7"));
      assertThat(slow.snapshots()).hasSize(1); // still inside its first call

      release.countDown();
      await().atMost(WAIT).untilAsserted(() -> assertThat(slow.lastReadyAddresses()).containsExactly("10.244.0.7"));
      assertThat(slow.snapshots()).extracting(ServiceSnapshot::version).containsExactly(1L, 3L);
    }
  }

  @Test
  void aThrowingListenerKeepsReceivingAndDisturbsNoOther() {
    RecordingListener seenByThrower = new RecordingListener();
    RecordingListener other = new RecordingListener();
    try (ServiceHandle handle = table.open(HOSTNAMES)) {
      handle.subscribe(snapshot -> {
        seenByThrower.onSnapshot(snapshot);
        throw new IllegalStateException("listener bug");
      });
      handle.subscribe(other);
      await().atMost(WAIT).until(() -> source.watching(HOSTNAMES));

      source.publish(HOSTNAMES, pods("10.244.0.5"));
      await().atMost(WAIT).until(() -> seenByThrower.snapshots().size() == 1); // it has thrown once
      source.publish(HOSTNAMES, pods("10.244.0.6"));

      await().atMost(WAIT).untilAsserted(() -> {
        assertThat(other.lastReadyAddresses()).containsExactly("10.244.0.6");
        assertThat(seenByThrower.lastReadyAddresses()).containsExactly("10.244.0.6");
      });
      assertThat(seenByThrower.snapshots()).extracting(ServiceSnapshot::version).containsExactly(1L, 2L);
    }
  }

  @Test
  void aLateSubscriberGetsTheCurrentSnapshotFirst() {
    try (ServiceHandle handle = table.open(HOSTNAMES)) {
      await().atMost(WAIT).until(() -> source.watching(HOSTNAMES));
      source.publish(HOSTNAMES, pods("10.244.0.5"));
      handle.awaitSnapshot(WAIT);

      RecordingListener late = new RecordingListener();
      handle.subscribe(late);
      await().atMost(WAIT).untilAsserted(() -> assertThat(late.lastReadyAddresses()).containsExactly("10.244.0.5"));
    }
  }

  @Test
  void aFailureKeepsTheSnapshotAndShowsItsAge() {
    Instant[] now = {Instant.parse("2026-11-24T12:00:00Z")};
    Clock moving = new Clock() {
      @Override
      public Instant instant() {
        return now[0];
      }

      @Override
      public java.time.ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(java.time.ZoneId zone) {
        return this;
      }
    };
    table.close();
    table = EndpointTable.builder(source).clock(moving).build();
    try (ServiceHandle handle = table.open(HOSTNAMES)) {
      assertThat(handle.status().state()).isEqualTo(SourceStatus.State.STARTING);
      await().atMost(WAIT).until(() -> source.watching(HOSTNAMES));
      source.publish(HOSTNAMES, pods("10.244.0.5"));
      ServiceSnapshot good = handle.awaitSnapshot(WAIT);

      now[0] = now[0].plusSeconds(30);
      source.fail(HOSTNAMES, "connection refused");
      await().atMost(WAIT).until(() -> handle.status().state() == SourceStatus.State.DISCONNECTED);
      now[0] = now[0].plusSeconds(60);

      assertThat(handle.snapshot()).contains(good);
      assertThat(handle.status().detail()).isEqualTo("connection refused");
      assertThat(handle.status().staleness(now[0])).isEqualTo(Duration.ofSeconds(90));

      source.publish(HOSTNAMES, pods("10.244.0.5"));
      await().atMost(WAIT).until(() -> handle.status().state() == SourceStatus.State.SYNCED);
      assertThat(handle.status().staleness(now[0])).isZero();
      assertThat(handle.snapshot()).contains(good); // unchanged state: same version
      assertThat(table.services()).singleElement()
          .satisfies(watched -> assertThat(watched.reconnects()).isEqualTo(1));

      source.fail(HOSTNAMES, "connection refused");
      source.fail(HOSTNAMES, "connection refused again"); // one outage, however many failures
      source.publish(HOSTNAMES, pods("10.244.0.5"));
      await().atMost(WAIT).until(() -> table.services().get(0).reconnects() == 2);
      assertThat(handle.status().state()).isEqualTo(SourceStatus.State.SYNCED);
    }
  }

  @Test
  void aClosedHandleRefusesUseAndAClosedTableRefusesOpens() {
    ServiceHandle handle = table.open(HOSTNAMES);
    handle.close();
    assertThatThrownBy(handle::snapshot).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThatThrownBy(() -> handle.subscribe(s -> { })).isInstanceOf(IllegalStateException.class);

    table.close();
    assertThatThrownBy(() -> table.open(HOSTNAMES)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void closingTheTableStopsEveryWatch() {
    ServiceKey other = ServiceKey.of("default", "other", "http");
    table.open(HOSTNAMES);
    table.open(other);
    await().atMost(WAIT).until(() -> source.watching(HOSTNAMES) && source.watching(other));
    assertThat(table.services()).extracting(WatchedService::key).containsExactly(HOSTNAMES, other);

    table.close();

    assertThat(source.closedWatches).containsExactlyInAnyOrder(HOSTNAMES, other);
  }

  @Test
  void aTimeoutNamesTheServiceAndTheSourceState() {
    try (ServiceHandle handle = table.open(HOSTNAMES)) {
      assertThatThrownBy(() -> handle.awaitSnapshot(Duration.ofMillis(50)))
          .isInstanceOf(SnapshotTimeoutException.class)
          .hasMessageContaining("hostnames.default:80").hasMessageContaining("STARTING");
    }
  }

  @Test
  void aClosedSubscriptionReceivesNothingMore() {
    RecordingListener listener = new RecordingListener();
    try (ServiceHandle handle = table.open(HOSTNAMES)) {
      Subscription subscription = handle.subscribe(listener);
      await().atMost(WAIT).until(() -> source.watching(HOSTNAMES));
      source.publish(HOSTNAMES, pods("10.244.0.5"));
      await().atMost(WAIT).until(() -> listener.snapshots().size() == 1);

      subscription.close();
      source.publish(HOSTNAMES, pods("10.244.0.6"));
      await().atMost(WAIT).until(() -> handle.snapshot().orElseThrow().version() == 2);
      RecordingListener probe = new RecordingListener();
      handle.subscribe(probe);
      await().atMost(WAIT).until(() -> probe.snapshots().size() == 1); // deliveries have run since

      assertThat(listener.snapshots()).hasSize(1);
      assertThat(List.of(listener.last().version())).containsExactly(1L);
    }
  }
}
