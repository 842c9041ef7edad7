package io.kdiscovery.balancing;

import static io.kdiscovery.balancing.Snapshots.countPicks;
import static io.kdiscovery.balancing.Snapshots.pods;
import static io.kdiscovery.balancing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.kdiscovery.affinity.Affinity;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceInfo.SessionAffinity;
import io.kdiscovery.model.ServiceInfo.TrafficDistribution;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Sticky affinity by any key: the same key reaches the same pod until it must move, then moves once. */
class StickyAffinityTest {

  private final FakeTicker ticker = new FakeTicker();
  private final LoadBalancer balancer = LoadBalancer.builder().policy(Policy.ROUND_ROBIN).ticker(ticker)
      .affinity(Affinity.sticky(Duration.ofMinutes(10), 1_000)).build();
  private final PickContext user = PickContext.forKey("user-42");

  StickyAffinityTest() {
    balancer.update(snapshot(1, pods(5)));
  }

  @Test
  void theSameKeyReachesTheSamePod() {
    assertThat(countPicks(balancer, 100, user)).hasSize(1);
  }

  @Test
  void differentKeysStillSpreadOverThePods() {
    List<Endpoint> seen = new ArrayList<>();
    for (int k = 0; k < 50; k++) {
      seen.add(balancer.pick(PickContext.forKey("user-" + k)).endpoint());
    }
    assertThat(seen).containsAll(pods(5));
  }

  @Test
  void whenItsPodLeavesTheKeyMovesOnceAndSticksAgain() {
    Endpoint first = balancer.pick(user).endpoint();
    List<Endpoint> rest = new ArrayList<>(pods(5));
    rest.remove(first);
    balancer.update(snapshot(2, rest));
    Endpoint second = balancer.pick(user).endpoint();
    assertThat(second).isNotEqualTo(first);
    assertThat(countPicks(balancer, 100, user)).containsOnlyKeys(second);
    balancer.update(snapshot(3, pods(5))); // the old pod is back: the key stays where it moved
    assertThat(countPicks(balancer, 100, user)).containsOnlyKeys(second);
  }

  @Test
  void whenItsPodIsEjectedTheKeyMovesOnceAndSticksAgain() {
    Pick pick = balancer.pick(user);
    Endpoint first = pick.endpoint();
    pick.connectFailure();
    Endpoint second = balancer.pick(user).endpoint();
    assertThat(second).isNotEqualTo(first);
    ticker.advance(Duration.ofMinutes(1)); // ejection over
    assertThat(countPicks(balancer, 100, user)).containsOnlyKeys(second);
  }

  @Test
  void aKeyIdlePastItsTimeoutIsForgotten() {
    Endpoint first = balancer.pick(user).endpoint();
    ticker.advance(Duration.ofMinutes(9));
    assertThat(balancer.pick(user).endpoint()).as("use refreshes the idle time").isEqualTo(first);
    ticker.advance(Duration.ofMinutes(9));
    assertThat(balancer.pick(user).endpoint()).isEqualTo(first);
    ticker.advance(Duration.ofMinutes(11));
    // Forgotten: round robin chooses afresh, and its cursor has moved on since the first choice
    // (sticky hits do not move it), so the key lands on the next pod.
    Endpoint afterTimeout = balancer.pick(user).endpoint();
    assertThat(afterTimeout).isNotEqualTo(first);
    assertThat(countPicks(balancer, 20, user)).containsOnlyKeys(afterTimeout);
  }

  @Test
  void affinityNoneIgnoresAClientIpService() {
    LoadBalancer plain = LoadBalancer.builder().ticker(ticker).affinity(Affinity.none()).build();
    ServiceInfo clientIp = Snapshots.service(SessionAffinity.CLIENT_IP, Duration.ofHours(3), TrafficDistribution.NONE);
    plain.update(snapshot(1, clientIp, pods(5)));
    assertThat(countPicks(plain, 50, user)).hasSize(5);
  }
}
