package io.kdiscovery.balancing;

import static io.kdiscovery.balancing.Snapshots.pod;
import static io.kdiscovery.balancing.Snapshots.pods;
import static io.kdiscovery.balancing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Forgotten picks, on fake time: reclaimed picks give their pool slot back, completions racing the
 * reclaimer are never lost, handles made when the pool is full are reclaimed too, and after all of it
 * picking creates no handle and every in-flight count is zero.
 */
class PickPoolReclaimTest {

  private static final Duration TIMEOUT = Duration.ofMinutes(1);

  private final FakeTicker ticker = new FakeTicker();

  private RealLoadBalancer leastRequest(int endpoints, int poolSize) {
    RealLoadBalancer balancer = (RealLoadBalancer) LoadBalancer.builder()
        .policy(Policy.LEAST_REQUEST).ticker(ticker)
        .abandonedPickTimeout(TIMEOUT).maxOutstandingPicks(poolSize).build();
    balancer.update(snapshot(1, pods(endpoints)));
    return balancer;
  }

  private static int inFlight(RealLoadBalancer balancer, int endpoints) {
    int sum = 0;
    for (int i = 1; i <= endpoints; i++) {
      sum += balancer.stateOf(pod(i)).inFlight();
    }
    return sum;
  }

  @Test
  void aThousandLeakedPicksComeBackToThePoolAndLaterPicksCreateNoHandle() {
    RealLoadBalancer balancer = leastRequest(3, 1024);
    PickPool pool = balancer.pool();
    for (int i = 0; i < 1000; i++) {
      balancer.pick(); // leaked: never completed
    }
    assertThat(inFlight(balancer, 3)).isEqualTo(1000);

    ticker.advance(TIMEOUT.multipliedBy(2));
    assertThat(pool.reclaim()).isEqualTo(1000);

    assertThat(inFlight(balancer, 3)).isZero();
    assertThat(pool.free()).as("every slot is free again").isEqualTo(pool.capacity());
    long created = pool.created();
    for (int i = 0; i < 100_000; i++) {
      balancer.pick().success(1_000);
    }
    assertThat(pool.created()).as("handles created by 100 000 later picks").isEqualTo(created);
    assertThat(pool.overflowHandles()).isZero();
    assertThat(pool.free()).isEqualTo(pool.capacity());
    assertThat(inFlight(balancer, 3)).isZero();
  }

  @Test
  void whileManyPicksAreHeldTheyCanStillAllBeTakenWithoutAllocatingAfterAReclaim() {
    RealLoadBalancer balancer = leastRequest(3, 1024);
    PickPool pool = balancer.pool();
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 1000; i++) {
        balancer.pick();
      }
      ticker.advance(TIMEOUT.multipliedBy(2));
      pool.reclaim();
    }
    long created = pool.created();
    List<Pick> held = new ArrayList<>();
    for (int i = 0; i < pool.capacity() / 2; i++) {
      held.add(balancer.pick());
    }
    assertThat(pool.created()).isEqualTo(created);
    assertThat(inFlight(balancer, 3)).isEqualTo(held.size());
    held.forEach(Pick::cancel);
    assertThat(inFlight(balancer, 3)).isZero();
  }

  @Test
  void handlesMadeWhenThePoolIsFullAreReclaimedToo() {
    RealLoadBalancer balancer = leastRequest(2, 16);
    PickPool pool = balancer.pool();
    for (int i = 0; i < 100; i++) {
      balancer.pick(); // 16 pooled, 84 overflow; all leaked
    }
    assertThat(pool.overflowHandles()).isEqualTo(100 - pool.capacity());

    ticker.advance(TIMEOUT.multipliedBy(2));
    assertThat(pool.reclaim()).isEqualTo(100);

    assertThat(inFlight(balancer, 2)).isZero();
    assertThat(pool.overflowHandles()).isZero();
    assertThat(pool.inUse()).isZero();
  }

  @Test
  void completedOverflowHandlesDoNotPileUp() {
    RealLoadBalancer balancer = leastRequest(2, 16);
    PickPool pool = balancer.pool();
    List<Pick> held = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      held.add(balancer.pick()); // the pool is full from here on
    }
    for (int i = 0; i < 10_000; i++) {
      balancer.pick().success(1_000);
    }
    assertThat(pool.overflowHandles()).isLessThanOrEqualTo(2 * pool.capacity());
    held.forEach(Pick::cancel);
    assertThat(inFlight(balancer, 2)).isZero();
  }

  @Test
  void aLateCompletionOfAReclaimedPickReportsItsOutcomeAndLeavesTheNewHolderCounted() {
    RealLoadBalancer balancer = leastRequest(1, 16);
    Pick forgotten = balancer.pick();
    ticker.advance(TIMEOUT.multipliedBy(2));
    balancer.pool().reclaim();
    List<Pick> current = new ArrayList<>();
    for (int i = 0; i < balancer.pool().capacity(); i++) {
      current.add(balancer.pick()); // every slot handed out again
    }
    assertThat(current).doesNotContain(forgotten);

    forgotten.success(1_000);
    forgotten.success(1_000);

    assertThat(inFlight(balancer, 1)).isEqualTo(current.size());
    current.forEach(Pick::cancel);
    assertThat(inFlight(balancer, 1)).isZero();
  }

  /**
   * The completion and the reclaimer race on the same handle, round after round (the reclaimer spins
   * while each round's pick becomes old enough and is completed): whichever wins, the outcome is
   * reported exactly once and the in-flight count ends at zero.
   */
  @Test
  void aCompletionRacingTheReclaimerIsNeverLost() throws Exception {
    AtomicInteger recorded = new AtomicInteger();
    OutcomeSink sink = (state, outcome, latency) -> recorded.incrementAndGet();
    PickPool pool = new PickPool(16, sink, ticker, TIMEOUT.toNanos());
    EndpointState state = new EndpointState("10.244.0.1:9376", 0, false);
    int rounds = 200_000;
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger reclaimed = new AtomicInteger();
    ExecutorService reclaimer = Executors.newSingleThreadExecutor();
    try {
      Future<?> reclaiming = reclaimer.submit(() -> {
        while (!done.get()) {
          reclaimed.addAndGet(pool.reclaim());
        }
      });
      for (int r = 0; r < rounds; r++) {
        Pick pick = pool.acquire(pod(1), state);
        ticker.advance(TIMEOUT.multipliedBy(2));
        pick.success(1_000);
      }
      done.set(true);
      reclaiming.get(10, TimeUnit.SECONDS);
    } finally {
      reclaimer.shutdownNow();
    }
    assertThat(recorded).hasValue(rounds);
    assertThat(state.inFlight()).isZero();
    assertThat(pool.inUse()).isZero();
    assertThat(reclaimed.get()).as("rounds the reclaimer won").isPositive();
  }
}
