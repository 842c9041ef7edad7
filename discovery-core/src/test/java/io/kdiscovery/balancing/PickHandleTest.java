package io.kdiscovery.balancing;

import static io.kdiscovery.balancing.Snapshots.pod;
import static io.kdiscovery.balancing.Snapshots.pods;
import static io.kdiscovery.balancing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pick handle's contract: counted once, released once, reclaimed when forgotten. */
class PickHandleTest {

  private final FakeTicker ticker = new FakeTicker();

  private RealLoadBalancer leastRequest(int endpoints) {
    RealLoadBalancer balancer = (RealLoadBalancer) LoadBalancer.builder()
        .policy(Policy.LEAST_REQUEST).ticker(ticker)
        .abandonedPickTimeout(Duration.ofMinutes(1)).maxOutstandingPicks(16).build();
    balancer.update(snapshot(1, pods(endpoints)));
    return balancer;
  }

  @Test
  void aPickCountsOneRequestInFlightUntilCompleted() {
    RealLoadBalancer balancer = leastRequest(1);
    Pick pick = balancer.pick();
    assertThat(balancer.stateOf(pod(1)).inFlight()).isEqualTo(1);
    pick.success(1_000);
    assertThat(balancer.stateOf(pod(1)).inFlight()).isZero();
  }

  @Test
  void completingTwiceReleasesOnlyOnce() {
    RealLoadBalancer balancer = leastRequest(1);
    Pick first = balancer.pick();
    Pick second = balancer.pick();
    first.success(1_000);
    first.failure(1_000);
    first.cancel();
    assertThat(balancer.stateOf(pod(1)).inFlight()).isEqualTo(1);
    second.cancel();
    assertThat(balancer.stateOf(pod(1)).inFlight()).isZero();
  }

  @Test
  void aForgottenPickIsReclaimedAfterTheAbandonedPickTimeout() {
    RealLoadBalancer balancer = leastRequest(1);
    balancer.pick(); // never completed
    ticker.advance(Duration.ofMinutes(1));
    balancer.pool().reclaim();
    assertThat(balancer.stateOf(pod(1)).inFlight()).as("not yet: under two periods").isEqualTo(1);
    ticker.advance(Duration.ofMinutes(1));
    balancer.pool().reclaim();
    assertThat(balancer.stateOf(pod(1)).inFlight()).isZero();
  }

  @Test
  void aPickInProgressIsNotReclaimedBeforeTheTimeout() {
    RealLoadBalancer balancer = leastRequest(1);
    Pick pick = balancer.pick();
    ticker.advance(Duration.ofSeconds(59));
    balancer.pool().reclaim();
    ticker.advance(Duration.ofSeconds(59));
    balancer.pool().reclaim();
    // Two reclaim passes, but only one epoch started: the pick is between one and two periods old.
    assertThat(balancer.stateOf(pod(1)).inFlight()).isEqualTo(1);
    pick.success(1_000);
    assertThat(balancer.stateOf(pod(1)).inFlight()).isZero();
  }

  @Test
  void aLateCompletionAfterReclaimDoesNotDriveTheCountNegative() {
    RealLoadBalancer balancer = leastRequest(1);
    Pick slow = balancer.pick();
    ticker.advance(Duration.ofMinutes(1));
    balancer.pool().reclaim();
    ticker.advance(Duration.ofMinutes(1));
    balancer.pool().reclaim();
    slow.success(120_000_000_000L);
    assertThat(balancer.stateOf(pod(1)).inFlight()).isZero();
  }

  @Test
  void morePicksThanThePoolHoldsStillCountAndRelease() {
    RealLoadBalancer balancer = leastRequest(2);
    List<Pick> picks = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      picks.add(balancer.pick());
    }
    assertThat(balancer.stateOf(pod(1)).inFlight() + balancer.stateOf(pod(2)).inFlight()).isEqualTo(100);
    picks.forEach(p -> p.success(1_000));
    assertThat(balancer.stateOf(pod(1)).inFlight() + balancer.stateOf(pod(2)).inFlight()).isZero();
    assertThat(balancer.pool().inUse()).isZero();
  }

  @Test
  void pooledHandlesAreReusedSoPickingAllocatesNoHandle() {
    RealLoadBalancer balancer = leastRequest(1);
    List<Pick> seen = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      Pick pick = balancer.pick();
      if (seen.stream().noneMatch(p -> p == pick)) {
        seen.add(pick);
      }
      pick.success(1_000);
    }
    assertThat(seen).hasSize(balancer.pool().capacity());
  }

  @Test
  void roundRobinHandsOutOneSharedHandlePerEndpoint() {
    LoadBalancer balancer = LoadBalancer.builder().ticker(ticker).build();
    balancer.update(snapshot(1, pods(1)));
    assertThat(balancer.pick()).isSameAs(balancer.pick());
  }

  @Test
  void completingWithoutAnOutcomeIsRejected() {
    RealLoadBalancer balancer = leastRequest(1);
    Pick pick = balancer.pick();
    assertThatNullPointerException().isThrownBy(() -> pick.complete(null, 0));
    pick.cancel();
  }
}
