package io.kdiscovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.Pick;
import io.kdiscovery.balancing.Policy;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.SourceState;
import io.kdiscovery.table.SnapshotTimeoutException;
import io.kdiscovery.table.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A balancer bound to the table has every snapshot before anyone else sees it: during a rollout, a
 * listener that received version N and picks at once never gets a pod that N took out.
 */
class BalancedServiceRolloutTest {

  private static final ServiceKey KEY = ServiceKey.of("default", "hostnames", 80);
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** A source the test drives: it hands each state to the table as a watch would. */
  private static final class HandDrivenSource implements EndpointSource {
    final AtomicReference<Listener> listener = new AtomicReference<>();

    @Override
    public String name() {
      return "hand-driven";
    }

    @Override
    public Watch watch(ServiceKey key, Listener l) {
      listener.set(l);
      return () -> listener.set(null);
    }

    @Override
    public void close() {}
  }

  private final HandDrivenSource source = new HandDrivenSource();
  private KDiscovery discovery;

  @BeforeEach
  void start() {
    discovery = KDiscovery.builder().source(source).build();
  }

  @AfterEach
  void stop() {
    discovery.close();
  }

  /** Pods {@code first .. first+2}: one rollout step replaces the oldest pod with a new one. */
  private static SourceState window(int first) {
    List<Endpoint> pods = new ArrayList<>();
    for (int i = first; i < first + 3; i++) {
      pods.add(Endpoint.builder("10.0." + (i / 250) + "." + (i % 250 + 1), 9376).podName("pod-" + i).build());
    }
    return new SourceState(true, ServiceInfo.UNKNOWN, pods);
  }

  private static int index(Endpoint e) {
    return Integer.parseInt(e.podName().substring("pod-".length()));
  }

  @Test
  void aListenerThatReceivedVersionNNeverPicksAPodThatNRemoved() {
    int steps = 500;
    for (Policy policy : new Policy[] {Policy.ROUND_ROBIN, Policy.LEAST_REQUEST}) {
      try (BalancedService hostnames = discovery.balance(KEY, LoadBalancer.builder().policy(policy))) {
        await().atMost(WAIT).until(() -> source.listener.get() != null);
        source.listener.get().onState(window(0));
        long firstVersion = hostnames.awaitSnapshot(WAIT).version();

        ConcurrentLinkedQueue<String> stale = new ConcurrentLinkedQueue<>();
        AtomicLong picks = new AtomicLong();
        AtomicLong lastSeen = new AtomicLong();
        Subscription user = hostnames.handle().subscribe(snapshot -> {
          int oldestInN = snapshot.endpoints().stream().mapToInt(BalancedServiceRolloutTest::index).min().orElseThrow();
          for (int i = 0; i < 3; i++) {
            Pick pick = hostnames.pick();
            picks.incrementAndGet();
            if (index(pick.endpoint()) < oldestInN) {
              stale.add("v" + snapshot.version() + " picked " + pick.endpoint().podName());
            }
            pick.success(1_000);
          }
          lastSeen.set(snapshot.version());
        });
        for (int step = 1; step <= steps; step++) {
          source.listener.get().onState(window(step));
        }
        long last = firstVersion + steps;
        await().atMost(WAIT).until(() -> lastSeen.get() == last);
        user.close();

        assertThat(stale).as("%s: picks from a pod the version the listener had took out, of %s picks",
            policy, picks.get()).isEmpty();
        assertThat(hostnames.balancer().snapshot().version()).isEqualTo(last);
      }
    }
  }

  @Test
  void theHandleNeverShowsASnapshotTheBalancerDoesNotHaveYet() {
    try (BalancedService hostnames = discovery.balance(KEY, LoadBalancer.builder())) {
      await().atMost(WAIT).until(() -> source.listener.get() != null);
      for (int step = 0; step < 300; step++) {
        source.listener.get().onState(window(step));
        ServiceSnapshot visible = hostnames.handle().snapshot().orElse(null);
        ServiceSnapshot balanced = hostnames.balancer().snapshot();
        if (visible != null) {
          assertThat(balanced).isNotNull();
          assertThat(balanced.version()).isGreaterThanOrEqualTo(visible.version());
        }
      }
    }
  }

  @Test
  void awaitSnapshotTimesOutWithTheTimeoutItWasGiven() {
    try (BalancedService hostnames = discovery.balance(KEY, LoadBalancer.builder())) {
      assertThatThrownBy(() -> hostnames.awaitSnapshot(Duration.ofMillis(50)))
          .isInstanceOf(SnapshotTimeoutException.class)
          .hasMessageContaining("within PT0.05S")
          .hasMessageContaining("hostnames");
    }
  }

  /**
   * A table may hand a new inline listener the current snapshot a moment later, on its own update
   * thread (the watch layer's table does): awaitSnapshot waits for the balancer's own first update.
   */
  @Test
  void awaitSnapshotWaitsForTheBalancersOwnFirstUpdateWhenTheTableDeliversItLater() throws Exception {
    try (io.kdiscovery.table.ServiceHandle real = discovery.open(KEY)) {
      await().atMost(WAIT).until(() -> source.listener.get() != null);
      source.listener.get().onState(window(0));
      real.awaitSnapshot(WAIT);
      java.util.concurrent.ExecutorService caller = java.util.concurrent.Executors.newSingleThreadExecutor();
      try {
        DelayedInlineHandle delayed = new DelayedInlineHandle(real);
        BalancedService hostnames = new BalancedService(delayed, LoadBalancer.builder().build());
        java.util.concurrent.CompletableFuture<ServiceSnapshot> awaited =
            java.util.concurrent.CompletableFuture.supplyAsync(() -> hostnames.awaitSnapshot(WAIT), caller);

        delayed.deliverCurrent(); // the table's update thread gets round to it

        ServiceSnapshot first = awaited.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(first).isNotNull();
        assertThat(first.version()).isEqualTo(real.snapshot().orElseThrow().version());
        assertThat(hostnames.pick().endpoint().podName()).startsWith("pod-");
      } finally {
        caller.shutdownNow();
      }
    }
  }

  /** A handle whose inline subscription gets the current snapshot only when the test says so. */
  private static final class DelayedInlineHandle implements io.kdiscovery.table.ServiceHandle {
    private final io.kdiscovery.table.ServiceHandle real;
    private final AtomicReference<io.kdiscovery.table.SnapshotListener> inline = new AtomicReference<>();

    DelayedInlineHandle(io.kdiscovery.table.ServiceHandle real) {
      this.real = real;
    }

    void deliverCurrent() {
      inline.get().onSnapshot(real.snapshot().orElseThrow());
    }

    @Override
    public ServiceKey key() {
      return real.key();
    }

    @Override
    public java.util.Optional<ServiceSnapshot> snapshot() {
      return real.snapshot();
    }

    @Override
    public ServiceSnapshot awaitSnapshot(Duration timeout) {
      return real.awaitSnapshot(timeout);
    }

    @Override
    public java.util.concurrent.CompletableFuture<ServiceSnapshot> firstSnapshot() {
      return real.firstSnapshot();
    }

    @Override
    public Subscription subscribe(io.kdiscovery.table.SnapshotListener listener) {
      return real.subscribe(listener);
    }

    @Override
    public Subscription subscribeInline(io.kdiscovery.table.SnapshotListener listener) {
      inline.set(listener);
      return () -> inline.set(null);
    }

    @Override
    public io.kdiscovery.table.SourceStatus status() {
      return real.status();
    }

    @Override
    public long reconnects() {
      return real.reconnects();
    }

    @Override
    public void close() {}
  }
}
