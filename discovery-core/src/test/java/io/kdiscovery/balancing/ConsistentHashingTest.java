package io.kdiscovery.balancing;

import static io.kdiscovery.balancing.Snapshots.pod;
import static io.kdiscovery.balancing.Snapshots.pods;
import static io.kdiscovery.balancing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.kdiscovery.model.Endpoint;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Stateless affinity: how many of 100 000 keys move when one of ten endpoints leaves. */
class ConsistentHashingTest {

  private static final int KEYS = 100_000;

  /** Where each key goes with pods 1..10, and after pod 4 is removed. */
  private static Endpoint[][] placements(Policy policy) {
    LoadBalancer balancer = LoadBalancer.builder().policy(policy).ticker(new FakeTicker()).build();
    balancer.update(snapshot(1, pods(10)));
    PickContext[] keys = new PickContext[KEYS];
    Endpoint[] before = new Endpoint[KEYS];
    for (int k = 0; k < KEYS; k++) {
      keys[k] = PickContext.forKey("client-" + k);
      before[k] = balancer.pick(keys[k]).endpoint();
    }
    List<Endpoint> nine = new ArrayList<>(pods(10));
    nine.remove(pod(4));
    balancer.update(snapshot(2, nine));
    Endpoint[] after = new Endpoint[KEYS];
    for (int k = 0; k < KEYS; k++) {
      after[k] = balancer.pick(keys[k]).endpoint();
    }
    return new Endpoint[][] {before, after};
  }

  private static int moved(Endpoint[][] placements) {
    int moved = 0;
    for (int k = 0; k < KEYS; k++) {
      if (!placements[0][k].equals(placements[1][k])) {
        moved++;
      }
    }
    return moved;
  }

  private static int movedBetweenSurvivors(Endpoint[][] placements) {
    int moved = 0;
    for (int k = 0; k < KEYS; k++) {
      if (!placements[0][k].equals(pod(4)) && !placements[0][k].equals(placements[1][k])) {
        moved++;
      }
    }
    return moved;
  }

  @ParameterizedTest
  @EnumSource(value = Policy.class, names = {"RING_HASH", "MAGLEV"})
  void removingOneOfTenEndpointsMovesAtMostTwelvePercentOfKeys(Policy policy) {
    assertThat(moved(placements(policy))).isLessThanOrEqualTo(KEYS * 12 / 100);
  }

  @ParameterizedTest
  @EnumSource(value = Policy.class, names = {"RING_HASH", "MAGLEV"})
  void everyKeyOfTheRemovedEndpointMovesToASurvivor(Policy policy) {
    Endpoint[][] placements = placements(policy);
    for (int k = 0; k < KEYS; k++) {
      assertThat(placements[1][k]).isNotEqualTo(pod(4));
    }
  }

  @Test
  void ringHashNeverMovesAKeyBetweenTwoEndpointsThatBothStayed() {
    assertThat(movedBetweenSurvivors(placements(Policy.RING_HASH))).isZero();
  }

  @Test
  void maglevMovesAlmostNoKeyBetweenEndpointsThatBothStayed() {
    // Maglev trades strict minimal disruption for an even table: survivors take turns filling the
    // freed slots, which shifts a few of their own. The paper reports this; we bound it at 2%.
    int moved = movedBetweenSurvivors(placements(Policy.MAGLEV));
    System.out.println("maglev: keys moved between survivors: " + moved + " of " + KEYS);
    assertThat(moved).isLessThanOrEqualTo(KEYS * 2 / 100);
  }

  @ParameterizedTest
  @EnumSource(value = Policy.class, names = {"RING_HASH", "MAGLEV"})
  void everyClientMapsAKeyToTheSamePod(Policy policy) {
    LoadBalancer one = LoadBalancer.builder().policy(policy).ticker(new FakeTicker()).build();
    LoadBalancer other = LoadBalancer.builder().policy(policy).ticker(new FakeTicker()).build();
    one.update(snapshot(1, pods(10)));
    other.update(snapshot(7, pods(10)));
    for (int k = 0; k < 1_000; k++) {
      PickContext key = PickContext.forKey("session-" + k);
      assertThat(one.pick(key).endpoint()).isEqualTo(other.pick(key).endpoint());
    }
  }

  @ParameterizedTest
  @EnumSource(value = Policy.class, names = {"RING_HASH", "MAGLEV"})
  void anEjectedEndpointsKeysAllMoveToTheSameNextPod(Policy policy) {
    FakeTicker ticker = new FakeTicker();
    LoadBalancer balancer = LoadBalancer.builder().policy(policy).ticker(ticker).build();
    balancer.update(snapshot(1, pods(10)));
    PickContext key = null;
    for (int k = 0; key == null; k++) {
      PickContext candidate = PickContext.forKey("k" + k);
      if (balancer.pick(candidate).endpoint().equals(pod(4))) {
        key = candidate;
      }
    }
    balancer.pick(key).connectFailure();
    Endpoint next = balancer.pick(key).endpoint();
    assertThat(next).isNotEqualTo(pod(4));
    for (int i = 0; i < 20; i++) {
      assertThat(balancer.pick(key).endpoint()).isEqualTo(next);
    }
  }
}
