package io.kdiscovery.balancing;

import static io.kdiscovery.balancing.Snapshots.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Policies that see load or latency send less to a pod that answers 20 times slower. */
class LoadAwarePoliciesTest {

  private static final int REQUESTS = 20_000;

  @ParameterizedTest
  @EnumSource(value = Policy.class, names = {"ROUND_ROBIN", "RANDOM"})
  void loadBlindPoliciesKeepSendingTheSlowPodItsFullShare(Policy policy) {
    double share = SlowEndpointSimulation.slowShare(policy, 3, pod(3), 12, REQUESTS);
    assertThat(share).isCloseTo(1 / 3.0, within(0.03));
  }

  @ParameterizedTest
  @EnumSource(value = Policy.class,
      names = {"LEAST_REQUEST", "PEAK_EWMA", "LEAST_CONNECTION", "SHORTEST_EXPECTED_DELAY", "NEVER_QUEUE"})
  void loadAwarePoliciesSteerAwayFromAPodTwentyTimesSlower(Policy policy) {
    double share = SlowEndpointSimulation.slowShare(policy, 3, pod(3), 12, REQUESTS);
    System.out.println(policy + ": slow pod share " + share);
    // A third would be blind; under a tenth means the policy clearly saw the slowness.
    assertThat(share).isLessThan(0.10);
  }

  @org.junit.jupiter.api.Test
  void leastRequestStillSendsTheSlowPodATrickle() {
    // Not a black hole: the slow pod wins whenever it is compared with a busier one, so the balancer
    // notices when it recovers. (Peak EWMA probes it again as its latency average decays.)
    double share = SlowEndpointSimulation.slowShare(Policy.LEAST_REQUEST, 3, pod(3), 12, REQUESTS);
    assertThat(share).isGreaterThan(0.01);
  }
}
