package io.kdiscovery.balancing;

import static org.assertj.core.api.Assertions.assertThat;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Many threads pick while snapshots change. Every snapshot's endpoints carry its version in their zone,
 * so each pick can be checked against the very snapshot it was made from.
 */
class ConcurrentPickingTest {

  private static final int THREADS = 4;
  private static final int PICKS_PER_THREAD = 50_000;
  private static final int SNAPSHOTS = 300;

  /** Version v: two pods that always stay, plus pods that come and go with v. */
  private static ServiceSnapshot snapshot(int v) {
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 1; i <= 2; i++) {
      endpoints.add(Endpoint.builder("10.1.0." + i, 9376).zone("v" + v).build());
    }
    for (int i = 0; i < 1 + v % 5; i++) {
      endpoints.add(Endpoint.builder("10.2." + (v % 7) + "." + i, 9376).zone("v" + v).build());
    }
    return Snapshots.snapshot(v, endpoints);
  }

  @ParameterizedTest
  @EnumSource(value = Policy.class, names = {"ROUND_ROBIN", "LEAST_REQUEST", "PEAK_EWMA", "MAGLEV", "NEVER_QUEUE"})
  void noPickReturnsAnEndpointAbsentFromItsSnapshotAndCountsReturnToZero(Policy policy) throws Exception {
    RealLoadBalancer balancer = (RealLoadBalancer) LoadBalancer.builder().policy(policy).build();
    List<ServiceSnapshot> snapshots = new ArrayList<>();
    for (int v = 1; v <= SNAPSHOTS; v++) {
      snapshots.add(snapshot(v));
    }
    balancer.update(snapshots.get(0));
    ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    CountDownLatch started = new CountDownLatch(THREADS);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<?>> pickers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        pickers.add(pool.submit(() -> {
          started.countDown();
          for (int i = 0; i < PICKS_PER_THREAD; i++) {
            PickContext context = (i & 1) == 0 ? PickContext.none() : PickContext.forKey("k" + (i & 255));
            Pick pick = balancer.pick(context);
            Endpoint e = pick.endpoint();
            int version = Integer.parseInt(e.zone().substring(1));
            if (!snapshots.get(version - 1).endpoints().contains(e)) {
              violations.add("thread " + thread + " got " + e + " not in v" + version);
            }
            if (i % 3 == 0) {
              pick.failure(1_000);
            } else {
              pick.success(1_000);
            }
          }
        }));
      }
      started.await();
      for (int v = 2; v <= SNAPSHOTS; v++) {
        balancer.update(snapshots.get(v - 1));
      }
      for (Future<?> f : pickers) {
        f.get(2, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
      assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
    }
    assertThat(violations).isEmpty();
    for (Endpoint e : snapshots.get(SNAPSHOTS - 1).endpoints()) {
      assertThat(balancer.stateOf(e).inFlight()).as("in flight on %s", e).isZero();
    }
    if (balancer.pool() != null) {
      assertThat(balancer.pool().inUse()).isZero();
    }
  }
}
