package io.kdiscovery.balancing;

import static io.kdiscovery.balancing.Snapshots.countPicks;
import static io.kdiscovery.balancing.Snapshots.pods;
import static io.kdiscovery.balancing.Snapshots.service;
import static io.kdiscovery.balancing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo.TrafficDistribution;
import io.kdiscovery.model.ServiceSnapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A fleet of clients, each a balancer with its own subset of one Service's pods. */
class SubsettingTest {

  private static final int CLIENTS = 1_000;
  private static final int PODS = 100;
  private static final int K = 10;

  @Test
  void aThousandClientsOverAHundredPodsSpreadWithinTenPercentOfEven() {
    List<LoadBalancer> fleet = fleet(CLIENTS, i -> LoadBalancer.builder().subset(K).subsetIndex(i));
    update(fleet, snapshot(1, pods(PODS)));

    Map<Endpoint, Integer> clientsPerPod = clientsPerPod(fleet);
    double even = (double) CLIENTS * K / PODS;
    assertThat(clientsPerPod).hasSize(PODS); // every pod has clients
    assertThat(clientsPerPod.values()).allSatisfy(clients ->
        assertThat(Math.abs(clients - even) / even).isLessThanOrEqualTo(0.10));
    assertThat(fleet).allSatisfy(client -> assertThat(client.endpoints()).hasSize(K));
  }

  @ParameterizedTest(name = "k = {0}")
  @ValueSource(ints = {K, 3})
  void aPodLeavingMovesOnlyTheClientsThatHadIt(int k) {
    List<LoadBalancer> fleet = fleet(CLIENTS, i -> LoadBalancer.builder().subset(k).subsetIndex(i));
    List<Endpoint> pods = pods(PODS);
    update(fleet, snapshot(1, pods));
    List<Set<Endpoint>> before = subsets(fleet);

    Endpoint leaving = pods.get(37);
    List<Endpoint> after = new ArrayList<>(pods);
    after.remove(leaving);
    update(fleet, snapshot(2, after));

    int moved = 0;
    for (int i = 0; i < CLIENTS; i++) {
      Set<Endpoint> now = new HashSet<>(fleet.get(i).endpoints());
      if (before.get(i).contains(leaving)) {
        moved++;
        Set<Endpoint> kept = new HashSet<>(before.get(i));
        kept.remove(leaving);
        assertThat(now).hasSize(k).containsAll(kept).doesNotContain(leaving); // one pod replaced
      } else {
        assertThat(now).isEqualTo(before.get(i));
      }
    }
    assertThat(moved).isPositive();
  }

  @Test
  void aPodJoiningMovesOnlyTheClientsThatTakeItOneConnectionEach() {
    List<LoadBalancer> fleet = fleet(CLIENTS, i -> LoadBalancer.builder().subset(K).subsetIndex(i));
    List<Endpoint> pods = pods(PODS);
    update(fleet, snapshot(1, pods));
    List<Set<Endpoint>> before = subsets(fleet);

    Endpoint joining = Endpoint.of("10.244.1.1", 9376);
    List<Endpoint> after = new ArrayList<>(pods);
    after.add(joining);
    update(fleet, snapshot(2, after));

    int moved = 0;
    for (int i = 0; i < CLIENTS; i++) {
      Set<Endpoint> now = new HashSet<>(fleet.get(i).endpoints());
      if (!now.equals(before.get(i))) {
        moved++;
        assertThat(now).hasSize(K).contains(joining);
        Set<Endpoint> kept = new HashSet<>(now);
        kept.retainAll(before.get(i));
        assertThat(kept).hasSize(K - 1);
      }
    }
    // Only its own clients move, about a fair share of the fleet's connections (100 of 1 000).
    assertThat(moved).isBetween(1, 2 * CLIENTS * K / (PODS + 1));
  }

  @Test
  void aPodReplacedInARollingUpdateTakesOverTheClientsOfThePodItReplaces() {
    List<LoadBalancer> fleet = fleet(CLIENTS, i -> LoadBalancer.builder().subset(K).subsetIndex(i));
    List<Endpoint> pods = pods(PODS);
    update(fleet, snapshot(1, pods));
    List<Set<Endpoint>> before = subsets(fleet);

    Endpoint old = pods.get(5);
    Endpoint replacement = Endpoint.of("10.244.1.6", 9376);
    List<Endpoint> rolled = new ArrayList<>(pods);
    rolled.remove(old);
    update(fleet, snapshot(2, rolled)); // the old pod goes first
    rolled.add(replacement);
    update(fleet, snapshot(3, rolled)); // then its replacement is ready

    for (int i = 0; i < CLIENTS; i++) {
      Set<Endpoint> expected = new HashSet<>(before.get(i));
      if (expected.remove(old)) {
        expected.add(replacement);
      }
      assertThat(new HashSet<>(fleet.get(i).endpoints())).isEqualTo(expected);
    }
  }

  @Test
  void throughARollingUpdateOfEveryPodTheBusiestPodStaysWithinTenPercentOfEven() {
    List<LoadBalancer> fleet = fleet(CLIENTS, i -> LoadBalancer.builder().subset(K).subsetIndex(i));
    List<Endpoint> current = new ArrayList<>(pods(PODS));
    long version = 1;
    update(fleet, snapshot(version++, current));
    for (int wave = 0; wave < 4; wave++) { // maxSurge 25 %: 25 new pods, then 25 old ones go
      for (int n = 0; n < 25; n++) {
        current.add(Endpoint.of("10.244.1." + (wave * 25 + n + 1), 9376));
      }
      update(fleet, snapshot(version++, current));
      assertWithinTenPercentOfEven(fleet, current.size());
      current.subList(0, 25).clear();
      update(fleet, snapshot(version++, current));
      assertWithinTenPercentOfEven(fleet, current.size());
    }
  }

  private static void assertWithinTenPercentOfEven(List<LoadBalancer> fleet, int pods) {
    double even = (double) CLIENTS * K / pods;
    Map<Endpoint, Integer> clientsPerPod = clientsPerPod(fleet);
    assertThat(clientsPerPod).hasSize(pods);
    assertThat(clientsPerPod.values()).allSatisfy(clients ->
        assertThat(Math.abs(clients - even) / even).isLessThanOrEqualTo(0.10));
  }

  @Test
  void picksGoOnlyToTheSubset() {
    LoadBalancer balancer = LoadBalancer.builder().subset(3).subsetIndex(7).build();
    balancer.update(snapshot(1, pods(20)));

    assertThat(balancer.endpoints()).hasSize(3);
    assertThat(countPicks(balancer, 300).keySet()).containsExactlyInAnyOrderElementsOf(balancer.endpoints());
  }

  @Test
  void theSubsetIsTakenFromUsableEndpointsOnly() {
    List<Endpoint> endpoints = new ArrayList<>(pods(20));
    for (int i = 0; i < 10; i++) {
      Endpoint e = endpoints.get(i);
      endpoints.set(i, Endpoint.builder(e.address(), e.port())
          .conditions(io.kdiscovery.model.EndpointConditions.of(false, false, false)).build());
    }
    List<LoadBalancer> fleet = fleet(50, i -> LoadBalancer.builder().subset(3).subsetIndex(i));
    update(fleet, snapshot(1, endpoints));

    ServiceSnapshot current = fleet.get(0).snapshot();
    assertThat(fleet).allSatisfy(client ->
        assertThat(current.usableEndpoints()).containsAll(client.endpoints()).hasSize(10));
    assertThat(fleet).allSatisfy(client -> assertThat(client.endpoints()).hasSize(3));
  }

  @Test
  void aServiceWithNoMorePodsThanTheSubsetSizeIsUsedWhole() {
    LoadBalancer balancer = LoadBalancer.builder().subset(10).subsetIndex(3).build();
    balancer.update(snapshot(1, pods(4)));

    assertThat(balancer.endpoints()).containsExactlyElementsOf(pods(4));
  }

  @Test
  void zonePreferenceChoosesWithinTheSubset() {
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 1; i <= 30; i++) {
      endpoints.add(Endpoint.builder("10.244.0." + i, 9376).zone("zone-" + (i % 3)).build());
    }
    LoadBalancer balancer = LoadBalancer.builder().subset(12).subsetIndex(11).localZone("zone-1").build();
    balancer.update(snapshot(1, service(TrafficDistribution.PREFER_CLOSE), endpoints));

    Set<Endpoint> localInSubset = new HashSet<>();
    for (Endpoint e : balancer.endpoints()) {
      if (e.zone().equals("zone-1")) {
        localInSubset.add(e);
      }
    }
    assertThat(balancer.endpoints()).hasSize(12);
    assertThat(localInSubset).isNotEmpty().hasSizeLessThan(10); // fewer than the zone's 10 pods
    assertThat(countPicks(balancer, 600).keySet()).isEqualTo(localInSubset);
  }

  @Test
  void theSameSeedGivesTheSameSubsetAndSeedsSpreadClientsOverEveryPod() {
    List<LoadBalancer> fleet = fleet(CLIENTS, i -> LoadBalancer.builder().subset(K).subsetSeed("client-" + i));
    update(fleet, snapshot(1, pods(PODS)));
    LoadBalancer again = LoadBalancer.builder().subset(K).subsetSeed("client-0").build();
    again.update(snapshot(1, pods(PODS)));

    assertThat(again.endpoints()).isEqualTo(fleet.get(0).endpoints());
    assertThat(clientsPerPod(fleet)).hasSize(PODS);
  }

  @Test
  void badSubsetSettingsFailWhenSetWithAClearMessage() {
    assertThatIllegalArgumentException().isThrownBy(() -> LoadBalancer.builder().subset(0))
        .withMessage("subset size must be in 1..100000: 0");
    assertThatIllegalArgumentException().isThrownBy(() -> LoadBalancer.builder().subsetIndex(-1))
        .withMessage("subsetIndex must not be negative: -1");
    assertThatIllegalArgumentException().isThrownBy(() -> LoadBalancer.builder().subsetSeed(" "))
        .withMessage("subsetSeed must not be blank");
    assertThatIllegalStateException().isThrownBy(() -> LoadBalancer.builder().subsetSeed("a").subsetIndex(1))
        .withMessage("subsetSeed is already set; set either subsetIndex or subsetSeed");
    assertThatIllegalStateException().isThrownBy(() -> LoadBalancer.builder().subsetIndex(1).build())
        .withMessage("subsetIndex and subsetSeed need subset(size) too");
  }

  private static List<LoadBalancer> fleet(int clients, java.util.function.IntFunction<LoadBalancer.Builder> builder) {
    return IntStream.range(0, clients).mapToObj(i -> builder.apply(i).build()).toList();
  }

  private static void update(List<LoadBalancer> fleet, ServiceSnapshot snapshot) {
    fleet.forEach(client -> client.update(snapshot));
  }

  private static List<Set<Endpoint>> subsets(List<LoadBalancer> fleet) {
    return fleet.stream().map(client -> (Set<Endpoint>) new HashSet<>(client.endpoints())).toList();
  }

  private static Map<Endpoint, Integer> clientsPerPod(List<LoadBalancer> fleet) {
    Map<Endpoint, Integer> counts = new HashMap<>();
    for (LoadBalancer client : fleet) {
      for (Endpoint e : client.endpoints()) {
        counts.merge(e, 1, Integer::sum);
      }
    }
    return counts;
  }
}
