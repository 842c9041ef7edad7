package io.kdiscovery.source.kubernetes;

import static io.kdiscovery.testing.FaultDispatcher.watchClosedAtOnce;
import static io.kdiscovery.testing.FaultDispatcher.watchExpiredWhen;
import static io.kdiscovery.testing.FaultDispatcher.watchOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.SourceStatus.State;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.FakeScheduler;
import io.kdiscovery.testing.Hostnames;
import io.kdiscovery.testing.RecordingListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How a watch comes back, on the real mock API server and on fake time: a watch that ended after it
 * stayed up resumes at once (without a LIST unless the server said 410), a watch that fails at once
 * waits longer and longer and is never called in step, the count starts again only after 2 minutes
 * of health (client-go's reflector), and the defaults are client-go's: 800 ms doubling to 30 s.
 */
class WatchBackoffTest {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final Duration STAYED_UP = ResourceFeed.STABLE_AFTER.plusSeconds(1);

  private ApiServer api;
  private FakeScheduler scheduler;
  private KDiscovery discovery;

  @BeforeEach
  void start() {
    api = new ApiServer();
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5")
        .ready("hostnames-2", "10.244.0.6").ready("hostnames-3", "10.244.0.7").build());
    scheduler = new FakeScheduler();
    KubernetesEndpointSource source = KubernetesEndpointSource.builder().client(api.client())
        .backoff(Backoff.of(Duration.ofMillis(100), Duration.ofMillis(1600)))
        .scheduler(scheduler).ticker(scheduler.ticker())
        .random(() -> 0.999_999) // the top of each jitter range, so the delays read as the plan
        .build();
    discovery = KDiscovery.builder().source(source).scheduler(scheduler).ticker(scheduler.ticker()).build();
  }

  @AfterEach
  void stop() {
    discovery.close();
    api.close();
  }

  @Test
  void aWatchClosedAtOnceBacksOffMoreAndMoreIsNeverInStepAndListsBoundedly() {
    api.faults().inject(watchOf("endpointslices"), watchClosedAtOnce(), -1);
    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      assertThat(handle.awaitSnapshot(WAIT).endpoints()).hasSize(3); // the first list still lands

      List<Long> delaysMillis = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        Duration delay = nextRetry();
        delaysMillis.add(Math.round(delay.toNanos() / 1e6));
        assertThat(handle.status().state()).isEqualTo(State.DISCONNECTED);
        assertThat(handle.status().detail()).contains("ended at once");
        scheduler.advance(delay);
      }
      nextRetry();

      assertThat(delaysMillis).containsExactly(100L, 200L, 400L, 800L, 1600L, 1600L);
      // Over the 4.8 s simulated, one LIST per attempt: 7, where the old loop made hundreds.
      assertThat(api.faults().lists("endpointslices")).isLessThanOrEqualTo(7);
      assertThat(handle.snapshot().orElseThrow().endpoints()).hasSize(3);
      assertThat(handle.status().state()).isEqualTo(State.DISCONNECTED);
    }
  }

  @Test
  void theCountStartsAgainOnlyAfterAWatchStayedUpTwoMinutes() {
    api.faults().inject(watchOf("endpointslices"), watchClosedAtOnce(), 3);
    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      handle.awaitSnapshot(WAIT);
      scheduler.advance(nextRetry());
      scheduler.advance(nextRetry());
      scheduler.advance(nextRetry()); // the fourth watch is a real one
      await().atMost(WAIT).until(() -> api.faults().watches("endpointslices") >= 4);
      assertThat(handle.status().state()).isEqualTo(State.DISCONNECTED); // not until it stayed up

      await().atMost(WAIT).until(() -> {
        scheduler.advance(STAYED_UP);
        return handle.status().state() == State.SYNCED;
      });

      // Back in step is not yet healthy: a watch that fails now goes on with the count (client-go's
      // reflector resets its backoff only after 2 minutes without one).
      api.faults().inject(watchOf("endpointslices"), watchClosedAtOnce(), 1);
      api.proxy().cutConnections();
      assertThat(Math.round(nextRetry().toNanos() / 1e6)).isEqualTo(800L);
      scheduler.advance(nextRetry());
      await().atMost(WAIT).until(() -> {
        scheduler.advance(STAYED_UP);
        return handle.status().state() == State.SYNCED;
      });
      scheduler.advance(ResourceFeed.BACKOFF_RESET);

      // After a watch stayed up 2 minutes, a watch that fails at once starts from the first delay again.
      api.faults().inject(watchOf("endpointslices"), watchClosedAtOnce(), -1);
      api.proxy().cutConnections();
      assertThat(Math.round(nextRetry().toNanos() / 1e6)).isEqualTo(100L);
    }
  }

  @Test
  void aWatchThatEndsAfterItStayedUpResumesFromItsResourceVersionWithoutAList() {
    RecordingListener listener = new RecordingListener();
    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      ServiceSnapshot first = handle.awaitSnapshot(WAIT);
      handle.subscribe(listener);
      await().atMost(WAIT).until(() -> api.faults().watches("endpointslices") == 1);
      // An event first: fabric8 8 takes a watch that ends within 2 s without any message for a 410.
      api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5")
          .ready("hostnames-2", "10.244.0.6").build());
      await().atMost(WAIT).untilAsserted(() -> assertThat(listener.last().endpoints()).hasSize(2));
      scheduler.ticker().advance(STAYED_UP);
      long lists = api.faults().lists("endpointslices");

      api.proxy().cutConnections();
      await().atMost(WAIT).until(() -> api.faults().watches("endpointslices") == 2);
      api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());

      await().atMost(WAIT).untilAsserted(() -> assertThat(listener.lastReadyAddresses()).containsExactly("10.244.0.5"));
      assertThat(api.faults().lists("endpointslices")).isEqualTo(lists);
      assertThat(api.faults().requests()).filteredOn(r -> r.contains("endpointslices") && r.contains("watch=true"))
          .last().asString().contains("resourceVersion=").contains("allowWatchBookmarks=true");
      assertThat(handle.status().state()).isEqualTo(State.SYNCED);
      assertThat(handle.status().since()).isEqualTo(first.createdAt());
      assertThat(listener.snapshots()).allSatisfy(s -> assertThat(s.endpoints()).isNotEmpty());
    }
  }

  @Test
  void a410AfterTheWatchStayedUpRelistsOnceAndNeverEmptiesTheTable() {
    CompletableFuture<Void> expire = new CompletableFuture<>();
    api.faults().inject(watchOf("endpointslices"), watchExpiredWhen(expire), 1);
    RecordingListener listener = new RecordingListener();
    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      ServiceSnapshot first = handle.awaitSnapshot(WAIT);
      handle.subscribe(listener);
      await().atMost(WAIT).until(() -> api.faults().watches("endpointslices") == 1);
      scheduler.ticker().advance(STAYED_UP);

      expire.complete(null);
      await().atMost(WAIT).until(() -> api.faults().watches("endpointslices") == 2);
      api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5")
          .ready("hostnames-3", "10.244.0.7").build());

      await().atMost(WAIT).untilAsserted(() ->
          assertThat(listener.lastReadyAddresses()).containsExactly("10.244.0.5", "10.244.0.7"));
      assertThat(api.faults().lists("endpointslices")).as("%s", api.faults().requests()).isEqualTo(2);
      assertThat(listener.snapshots()).allSatisfy(s -> assertThat(s.endpoints()).isNotEmpty());
      assertThat(handle.status().state()).isEqualTo(State.SYNCED);
      assertThat(handle.status().since()).isEqualTo(first.createdAt());
      assertThat(handle.snapshot().orElseThrow().endpoints()).extracting(Endpoint::podName)
          .containsExactly("hostnames-1", "hostnames-3");
    }
  }

  @Test
  void aTooManyRequestsWaitsItsRetryAfterAndSaysSo() {
    api.faults().inject(io.kdiscovery.testing.FaultDispatcher.collectionListOf("endpointslices"),
        io.kdiscovery.testing.FaultDispatcher.tooManyRequests(3), 1);
    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      // The backoff alone would retry after 100 ms; the API server asked for 3 s.
      await().atMost(WAIT).until(() -> scheduler.pendingDelays().contains(Duration.ofSeconds(3)));
      assertThat(handle.status().failure()).isEqualTo(io.kdiscovery.source.FailureKind.THROTTLED);
      assertThat(handle.status().detail()).contains("HTTP 429 Too Many Requests").contains("Retry-After 3 s");
      long lists = api.faults().lists("endpointslices");
      scheduler.advance(Duration.ofSeconds(2));
      assertThat(api.faults().lists("endpointslices")).isEqualTo(lists); // not before the Retry-After
      scheduler.advance(Duration.ofSeconds(1));
      assertThat(handle.awaitSnapshot(WAIT).endpoints()).hasSize(3);
    }
  }

  @Test
  void theDefaultBackoffStartsWhereClientGosReflectorDoes() {
    Backoff defaults = Backoff.defaults();
    assertThat(defaults.initial()).isEqualTo(Duration.ofMillis(800));
    assertThat(defaults.max()).isEqualTo(Duration.ofSeconds(30));
    List<Long> tops = new ArrayList<>();
    for (int attempt = 0; attempt < 8; attempt++) {
      tops.add(defaults.delay(attempt, () -> 0.999_999_999).toMillis());
    }
    assertThat(tops).containsExactly(799L, 1599L, 3199L, 6399L, 12799L, 25599L, 29999L, 29999L);
    assertThat(ResourceFeed.BACKOFF_RESET).isEqualTo(Duration.ofMinutes(2));
  }

  /** Waits until a retry is scheduled (a delay shorter than the stay-up check) and returns its delay. */
  private Duration nextRetry() {
    await().atMost(WAIT).until(() -> scheduler.pendingDelays().stream()
        .anyMatch(d -> d.compareTo(ResourceFeed.STABLE_AFTER) < 0));
    return scheduler.pendingDelays().stream().filter(d -> d.compareTo(ResourceFeed.STABLE_AFTER) < 0)
        .findFirst().orElseThrow();
  }
}
