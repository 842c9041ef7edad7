package io.kdiscovery.balancing;

import static io.kdiscovery.balancing.Snapshots.countPicks;
import static io.kdiscovery.balancing.Snapshots.pod;
import static io.kdiscovery.balancing.Snapshots.pods;
import static io.kdiscovery.balancing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.kdiscovery.model.Endpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * How evenly each policy spreads picks over equal endpoints, with explicit bounds. A uniform random
 * share over N picks has a standard deviation of sqrt(p(1-p)/N); the bounds below are 6 or more
 * standard deviations wide, so a correct policy fails them about once in a billion runs.
 */
class PolicyDistributionTest {

  private static final int PICKS = 30_000;

  private static LoadBalancer balancer(Policy policy, List<Endpoint> endpoints) {
    LoadBalancer balancer = LoadBalancer.builder().policy(policy).ticker(new FakeTicker()).build();
    balancer.update(snapshot(1, endpoints));
    return balancer;
  }

  @Test
  void roundRobinGivesEveryEndpointExactlyItsTurn() {
    Map<Endpoint, Integer> counts = countPicks(balancer(Policy.ROUND_ROBIN, pods(3)), PICKS);
    assertThat(counts.values()).containsOnly(PICKS / 3);
  }

  @Test
  void roundRobinVisitsEndpointsInARepeatingOrder() {
    LoadBalancer balancer = balancer(Policy.ROUND_ROBIN, pods(3));
    List<Endpoint> first = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      first.add(balancer.pick().endpoint());
    }
    assertThat(first).containsExactlyInAnyOrderElementsOf(pods(3));
    for (int i = 0; i < 30; i++) {
      assertThat(balancer.pick().endpoint()).isEqualTo(first.get(i % 3));
    }
  }

  @ParameterizedTest
  @EnumSource(value = Policy.class, names = {"LEAST_CONNECTION", "SHORTEST_EXPECTED_DELAY", "NEVER_QUEUE"})
  void ipvsPoliciesShareIdleEndpointsInTurn(Policy policy) {
    Map<Endpoint, Integer> counts = countPicks(balancer(policy, pods(3)), PICKS);
    assertThat(counts.values()).containsOnly(PICKS / 3);
  }

  @ParameterizedTest
  @EnumSource(value = Policy.class, names = {"RANDOM", "LEAST_REQUEST", "PEAK_EWMA"})
  void randomisedPoliciesSpreadEqualEndpointsUniformly(Policy policy) {
    // p = 1/3, N = 30 000: sigma = 0.0027; bound 0.02 is over 7 sigma.
    Map<Endpoint, Integer> counts = countPicks(balancer(policy, pods(3)), PICKS);
    assertThat(counts).hasSize(3);
    counts.values().forEach(c -> assertThat(c / (double) PICKS).isCloseTo(1 / 3.0, within(0.02)));
  }

  @ParameterizedTest
  @EnumSource(value = Policy.class, names = {"RING_HASH", "MAGLEV"})
  void consistentHashingSpreadsKeysEvenly(Policy policy) {
    LoadBalancer balancer = balancer(policy, pods(10));
    int[] counts = new int[11];
    for (int k = 0; k < 100_000; k++) {
      Endpoint e = balancer.pick(PickContext.forKey("user-" + k)).endpoint();
      counts[Integer.parseInt(e.address().substring(e.address().lastIndexOf('.') + 1))]++;
    }
    // p = 0.1, N = 100 000: sampling sigma 0.001; plus the hash structure's own imbalance.
    for (int i = 1; i <= 10; i++) {
      assertThat(counts[i] / 100_000.0).as("share of pod %d", i).isCloseTo(0.1, within(0.02));
    }
  }

  @ParameterizedTest
  @EnumSource(value = Policy.class, names = {"RING_HASH", "MAGLEV"})
  void consistentHashingWithoutAKeyPicksAtRandom(Policy policy) {
    Map<Endpoint, Integer> counts = countPicks(balancer(policy, pods(3)), PICKS);
    counts.values().forEach(c -> assertThat(c / (double) PICKS).isCloseTo(1 / 3.0, within(0.02)));
  }

  @Test
  void weightedRoundRobinGivesEachEndpointExactlyItsWeightPerCycle() {
    List<Endpoint> weighted = List.of(
        Endpoint.builder("10.244.0.1", 9376).weight(1).build(),
        Endpoint.builder("10.244.0.2", 9376).weight(2).build(),
        Endpoint.builder("10.244.0.3", 9376).weight(3).build());
    Map<Endpoint, Integer> counts = countPicks(balancer(Policy.WEIGHTED_ROUND_ROBIN, weighted), 6_000);
    assertThat(counts).containsEntry(weighted.get(0), 1_000)
        .containsEntry(weighted.get(1), 2_000)
        .containsEntry(weighted.get(2), 3_000);
  }

  @Test
  void weightedRoundRobinInterleavesRatherThanSendingBursts() {
    List<Endpoint> weighted = List.of(
        Endpoint.builder("10.244.0.1", 9376).weight(1).build(),
        Endpoint.builder("10.244.0.2", 9376).weight(9).build());
    LoadBalancer balancer = balancer(Policy.WEIGHTED_ROUND_ROBIN, weighted);
    int longestRun = 0;
    int run = 0;
    Endpoint previous = null;
    for (int i = 0; i < 1_000; i++) {
      Endpoint e = balancer.pick().endpoint();
      run = e.equals(previous) ? run + 1 : 1;
      longestRun = Math.max(longestRun, run);
      previous = e;
    }
    // A 1:9 split in bursts would repeat the heavy endpoint nine times; interleaved, at most a few more.
    assertThat(longestRun).isLessThanOrEqualTo(12);
  }

  @Test
  void weightedRoundRobinWithEqualWeightsIsPlainRoundRobin() {
    Map<Endpoint, Integer> counts = countPicks(balancer(Policy.WEIGHTED_ROUND_ROBIN, pods(4)), 4_000);
    assertThat(counts.values()).containsOnly(1_000);
  }

  @ParameterizedTest
  @EnumSource(Policy.class)
  void everyPolicyPicksTheOnlyEndpointOfASingleEndpointService(Policy policy) {
    Map<Endpoint, Integer> counts = countPicks(balancer(policy, List.of(pod(7))), 100);
    assertThat(counts).containsOnlyKeys(pod(7));
  }
}
