package io.kdiscovery.balancing;

import static io.kdiscovery.balancing.Snapshots.pod;
import static io.kdiscovery.balancing.Snapshots.pods;
import static io.kdiscovery.balancing.Snapshots.service;
import static io.kdiscovery.balancing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo.TrafficDistribution;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An update keeps what did not change: endpoint states, zone groups and their selectors, ring
 * positions and Maglev table slots; and what it changes keeps the policies' guarantees.
 */
class IncrementalUpdateTest {

  private static final int KEYS = 20_000;

  private static Endpoint endpoint(int i) {
    return Endpoint.of("10.1." + (i / 250) + "." + (i % 250 + 1), 9376);
  }

  private static Endpoint[] placements(LoadBalancer balancer) {
    Endpoint[] placed = new Endpoint[KEYS];
    for (int k = 0; k < KEYS; k++) {
      placed[k] = balancer.pick(PickContext.forKey("user-" + k)).endpoint();
    }
    return placed;
  }

  /** Pods {@code live} in ascending order, one weight changed when {@code heavy} is among them. */
  private static List<Endpoint> endpoints(List<Integer> live, int heavy) {
    List<Endpoint> list = new ArrayList<>();
    for (int i : live.stream().sorted().toList()) {
      list.add(i == heavy ? Endpoint.builder(endpoint(i).address(), 9376).weight(3).build() : endpoint(i));
    }
    return list;
  }

  @Test
  void aRingUpdatedThroughManyChangesMapsEveryKeyAsARingBuiltFromScratch() {
    LoadBalancer updated = LoadBalancer.builder().policy(Policy.RING_HASH).ticker(new FakeTicker()).build();
    List<Integer> live = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      live.add(i);
    }
    Random random = new Random(7);
    int nextPod = 100;
    for (int step = 1; step <= 30; step++) {
      if (step % 3 == 0) {
        live.add(nextPod++);
      } else if (step % 3 == 1) {
        live.remove(random.nextInt(live.size()));
      } else {
        live.remove(random.nextInt(live.size()));
        live.add(nextPod++);
      }
      int heavy = step % 5 == 0 ? live.get(random.nextInt(live.size())) : -1;
      List<Endpoint> endpoints = endpoints(live, heavy);
      updated.update(snapshot(step, endpoints));
      LoadBalancer fresh = LoadBalancer.builder().policy(Policy.RING_HASH).ticker(new FakeTicker()).build();
      fresh.update(snapshot(1, endpoints));

      assertThat(placements(updated)).as("step %d", step).isEqualTo(placements(fresh));
    }
  }

  @Test
  void whenAPodLeavesMaglevMovesOnlyItsKeysAndWhenOneJoinsAboutOneNthMoveAllToIt() {
    LoadBalancer balancer = LoadBalancer.builder().policy(Policy.MAGLEV).ticker(new FakeTicker()).build();
    List<Integer> live = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      live.add(i);
    }
    balancer.update(snapshot(1, endpoints(live, -1)));
    Endpoint[] before = placements(balancer);

    live.remove(Integer.valueOf(42));
    balancer.update(snapshot(2, endpoints(live, -1)));
    Endpoint[] afterLeave = placements(balancer);
    for (int k = 0; k < KEYS; k++) {
      if (!before[k].equals(endpoint(42))) {
        assertThat(afterLeave[k]).as("key %d stays where it was", k).isEqualTo(before[k]);
      } else {
        assertThat(afterLeave[k]).isNotEqualTo(endpoint(42));
      }
    }

    live.add(500);
    balancer.update(snapshot(3, endpoints(live, -1)));
    Endpoint[] afterJoin = placements(balancer);
    int moved = 0;
    for (int k = 0; k < KEYS; k++) {
      if (!afterJoin[k].equals(afterLeave[k])) {
        moved++;
        assertThat(afterJoin[k]).isEqualTo(endpoint(500));
      }
    }
    assertThat(moved).isBetween(KEYS / 100 / 2, KEYS * 3 / 2 / 100);
  }

  @Test
  void maglevStaysEvenThroughAHundredIncrementalChanges() {
    RealLoadBalancer balancer = (RealLoadBalancer) LoadBalancer.builder().policy(Policy.MAGLEV)
        .ticker(new FakeTicker()).build();
    List<Integer> live = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      live.add(i);
    }
    balancer.update(snapshot(1, endpoints(live, -1)));
    Random random = new Random(11);
    int nextPod = 200;
    for (int step = 2; step <= 100; step++) {
      if (random.nextBoolean()) {
        live.remove(random.nextInt(live.size()));
      } else {
        live.add(nextPod++);
      }
      balancer.update(snapshot(step, endpoints(live, -1)));
    }
    MaglevSelector selector = (MaglevSelector) balancer.currentPicker().all.selector;
    double fair = selector.tableLength() / (double) live.size();
    int[] shares = selector.shares();
    int min = Integer.MAX_VALUE;
    int max = 0;
    for (int share : shares) {
      min = Math.min(min, share);
      max = Math.max(max, share);
    }
    System.out.printf("maglev after 100 changes: shares %d..%d, fair %.0f%n", min, max, fair);
    assertThat(min).isGreaterThanOrEqualTo((int) (fair * 0.8));
    assertThat(max).isLessThanOrEqualTo((int) Math.ceil(fair * 1.2));
  }

  @Test
  void endpointsThatStayKeepTheirStateAndAReorderedSnapshotChangesNothing() {
    RealLoadBalancer balancer = (RealLoadBalancer) LoadBalancer.builder().policy(Policy.LEAST_REQUEST)
        .ticker(new FakeTicker()).build();
    balancer.update(snapshot(1, pods(10)));
    Pick held = balancer.pick();
    EndpointState heldState = balancer.stateOf(held.endpoint());
    List<EndpointState> before = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      before.add(balancer.stateOf(pod(i)));
    }

    List<Endpoint> shuffled = new ArrayList<>(pods(10));
    Collections.shuffle(shuffled, new Random(3));
    balancer.update(snapshot(2, shuffled));
    List<Endpoint> fewer = new ArrayList<>(pods(10));
    fewer.remove(pod(held.endpoint().equals(pod(5)) ? 6 : 5));
    balancer.update(snapshot(3, fewer));

    for (int i = 1; i <= 10; i++) {
      if (fewer.contains(pod(i))) {
        assertThat(balancer.stateOf(pod(i))).isSameAs(before.get(i - 1));
      }
    }
    assertThat(heldState.inFlight()).isEqualTo(1);
    held.success(1_000);
    assertThat(heldState.inFlight()).isZero();
    assertThat(Snapshots.countPicks(balancer, 900, PickContext.none()).keySet())
        .containsExactlyInAnyOrderElementsOf(fewer);
  }

  @Test
  void aPodWhoseAttributesChangeIsPickedWithTheNewOnesAndKeepsItsState() {
    RealLoadBalancer balancer = (RealLoadBalancer) LoadBalancer.builder().ticker(new FakeTicker()).build();
    balancer.update(snapshot(1, List.of(pod(1))));
    EndpointState state = balancer.stateOf(pod(1));
    Endpoint moved = Endpoint.builder(pod(1).address(), 9376).zone("zone-b").podName("hostnames-1").build();

    balancer.update(snapshot(2, List.of(moved)));

    assertThat(balancer.pick().endpoint().zone()).isEqualTo("zone-b");
    assertThat(balancer.stateOf(pod(1))).isSameAs(state);
  }

  @ParameterizedTest
  @EnumSource(value = Policy.class, names = {"RING_HASH", "MAGLEV", "ROUND_ROBIN", "LEAST_REQUEST"})
  void aChangeInOneZoneRebuildsOnlyThatZonesGroup(Policy policy) {
    RealLoadBalancer balancer = (RealLoadBalancer) LoadBalancer.builder().policy(policy)
        .ticker(new FakeTicker()).localZone("zone-a").build();
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 1; i <= 12; i++) {
      endpoints.add(Endpoint.builder("10.244.0." + i, 9376).zone("zone-" + "abc".charAt(i % 3)).build());
    }
    balancer.update(snapshot(1, service(TrafficDistribution.PREFER_CLOSE), endpoints));
    Picker first = balancer.currentPicker();
    EndpointGroup zoneA = first.groupForZone("zone-a");
    EndpointGroup zoneC = first.groupForZone("zone-c");
    assertThat(zoneA).isNotSameAs(first.all);

    List<Endpoint> lessInB = new ArrayList<>(endpoints);
    lessInB.removeIf(e -> e.address().equals("10.244.0.4")); // 4 % 3 == 1: zone-b
    balancer.update(snapshot(2, service(TrafficDistribution.PREFER_CLOSE), lessInB));
    Picker second = balancer.currentPicker();

    assertThat(second.groupForZone("zone-a")).isSameAs(zoneA);
    assertThat(second.local).isSameAs(zoneA);
    assertThat(second.groupForZone("zone-c")).isSameAs(zoneC);
    assertThat(second.groupForZone("zone-b")).isNotSameAs(first.groupForZone("zone-b"));
    assertThat(second.groupForZone("zone-b").size()).isEqualTo(3);
  }
}
