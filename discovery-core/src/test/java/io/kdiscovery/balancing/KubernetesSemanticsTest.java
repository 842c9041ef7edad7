package io.kdiscovery.balancing;

import static io.kdiscovery.balancing.Snapshots.countPicks;
import static io.kdiscovery.balancing.Snapshots.pod;
import static io.kdiscovery.balancing.Snapshots.pods;
import static io.kdiscovery.balancing.Snapshots.service;
import static io.kdiscovery.balancing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.EndpointConditions;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceInfo.SessionAffinity;
import io.kdiscovery.model.ServiceInfo.TrafficDistribution;
import io.kdiscovery.model.ServiceSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a pick honours from the Service and its EndpointSlices. */
class KubernetesSemanticsTest {

  private static final EndpointConditions NOT_READY = new EndpointConditions(false, false, false);
  private static final EndpointConditions SERVING_TERMINATING = new EndpointConditions(false, true, true);
  private static final EndpointConditions TERMINATING = new EndpointConditions(false, false, true);

  private final FakeTicker ticker = new FakeTicker();

  private LoadBalancer.Builder builder() {
    return LoadBalancer.builder().ticker(ticker);
  }

  private static Endpoint podWith(int i, EndpointConditions conditions) {
    return Endpoint.builder("10.244.0." + i, 9376).conditions(conditions).build();
  }

  private static Endpoint zoned(int i, String zone, String node) {
    return Endpoint.builder("10.244.0." + i, 9376).zone(zone).nodeName(node).build();
  }

  private static Endpoint hinted(int i, String zone, String... hints) {
    return Endpoint.builder("10.244.0." + i, 9376).zone(zone).zoneHints(Set.of(hints)).build();
  }

  @Test
  void onlyReadyEndpointsArePicked() {
    LoadBalancer balancer = builder().build();
    balancer.update(snapshot(1, List.of(pod(1), podWith(2, NOT_READY), podWith(3, SERVING_TERMINATING))));
    assertThat(countPicks(balancer, 100)).containsOnlyKeys(pod(1));
  }

  @Test
  void servingTerminatingEndpointsAreUsedWhenNoneIsReady() {
    LoadBalancer balancer = builder().build();
    balancer.update(snapshot(1, List.of(podWith(1, NOT_READY), podWith(2, SERVING_TERMINATING), podWith(3, TERMINATING))));
    assertThat(countPicks(balancer, 100)).containsOnlyKeys(podWith(2, SERVING_TERMINATING));
  }

  @Test
  void anEndpointThatIsNotServingIsNeverPicked() {
    LoadBalancer balancer = builder().build();
    balancer.update(snapshot(1, List.of(podWith(1, NOT_READY), podWith(3, TERMINATING))));
    assertThatThrownBy(balancer::pick).isInstanceOfSatisfying(NoEndpointException.class, e -> {
      assertThat(e.reason()).isEqualTo(NoEndpointException.Reason.NO_ENDPOINTS);
      assertThat(e).hasMessage("hostnames.default:80: none of its 2 endpoints is ready, nor serving while terminating");
    });
  }

  @Test
  void removedPodIsNeverPickedAgain() {
    LoadBalancer balancer = builder().policy(Policy.LEAST_REQUEST).build();
    balancer.update(snapshot(1, pods(3)));
    balancer.update(snapshot(2, List.of(pod(1), pod(3))));
    assertThat(countPicks(balancer, 1_000)).containsOnlyKeys(pod(1), pod(3));
  }

  @Test
  void anOlderSnapshotArrivingLateIsIgnored() {
    LoadBalancer balancer = builder().build();
    balancer.update(snapshot(2, List.of(pod(2))));
    balancer.update(snapshot(1, List.of(pod(1))));
    assertThat(balancer.snapshot().version()).isEqualTo(2);
    assertThat(countPicks(balancer, 10)).containsOnlyKeys(pod(2));
  }

  @Test
  void noEndpointErrorsNameTheServiceAndTheReason() {
    LoadBalancer balancer = builder().service(Snapshots.KEY).build();
    assertThatThrownBy(balancer::pick).isInstanceOfSatisfying(NoEndpointException.class,
        e -> assertThat(e.reason()).isEqualTo(NoEndpointException.Reason.NO_SNAPSHOT_YET))
        .hasMessage("hostnames.default:80: no endpoints received yet");
    balancer.update(new ServiceSnapshot(Snapshots.KEY, 1, Instant.EPOCH, false, ServiceInfo.UNKNOWN, List.of()));
    assertThatThrownBy(balancer::pick).isInstanceOfSatisfying(NoEndpointException.class,
        e -> assertThat(e.reason()).isEqualTo(NoEndpointException.Reason.SERVICE_NOT_FOUND))
        .hasMessage("hostnames.default:80: the Service does not exist");
    balancer.update(snapshot(2, List.of()));
    assertThatThrownBy(balancer::pick).isInstanceOfSatisfying(NoEndpointException.class,
        e -> assertThat(e.reason()).isEqualTo(NoEndpointException.Reason.NO_ENDPOINTS))
        .hasMessage("hostnames.default:80: the Service has no endpoints");
  }

  @Test
  void topologyHintsKeepTrafficInTheCallersZone() {
    List<Endpoint> endpoints = List.of(hinted(1, "z1", "z1"), hinted(2, "z1", "z1"),
        hinted(3, "z2", "z2"), hinted(4, "z2", "z2"));
    LoadBalancer balancer = builder().localZone("z2").build();
    balancer.update(snapshot(1, endpoints));
    assertThat(countPicks(balancer, 100)).containsOnlyKeys(endpoints.get(2), endpoints.get(3));
  }

  @Test
  void hintsAreIgnoredUnlessEveryEndpointHasThem() {
    List<Endpoint> endpoints = List.of(hinted(1, "z1", "z1"), hinted(2, "z2", "z2"), zoned(3, "z2", null));
    LoadBalancer balancer = builder().localZone("z2").build();
    balancer.update(snapshot(1, endpoints));
    assertThat(countPicks(balancer, 300)).hasSize(3);
  }

  @Test
  void preferSameZoneUsesTheEndpointsZone() {
    List<Endpoint> endpoints = List.of(zoned(1, "z1", "n1"), zoned(2, "z1", "n2"), zoned(3, "z2", "n3"),
        zoned(4, "z2", "n4"));
    LoadBalancer balancer = builder().localZone("z1").build();
    balancer.update(snapshot(1, service(TrafficDistribution.PREFER_SAME_ZONE), endpoints));
    assertThat(countPicks(balancer, 100)).containsOnlyKeys(endpoints.get(0), endpoints.get(1));
  }

  @Test
  void withoutATrafficDistributionZonesDoNotMatter() {
    List<Endpoint> endpoints = List.of(zoned(1, "z1", "n1"), zoned(2, "z2", "n2"));
    LoadBalancer balancer = builder().localZone("z1").build();
    balancer.update(snapshot(1, endpoints));
    assertThat(countPicks(balancer, 100)).hasSize(2);
  }

  @Test
  void preferSameNodeUsesTheNodeThenTheZone() {
    List<Endpoint> endpoints = List.of(zoned(1, "z1", "n1"), zoned(2, "z1", "n2"), zoned(3, "z2", "n3"),
        zoned(4, "z2", "n4"));
    LoadBalancer onNode = builder().localZone("z1").localNode("n2").build();
    onNode.update(snapshot(1, service(TrafficDistribution.PREFER_SAME_NODE), endpoints));
    assertThat(countPicks(onNode, 100)).containsOnlyKeys(endpoints.get(1));
    LoadBalancer elsewhere = builder().localZone("z2").localNode("n9").build();
    elsewhere.update(snapshot(1, service(TrafficDistribution.PREFER_SAME_NODE), endpoints));
    assertThat(countPicks(elsewhere, 100)).containsOnlyKeys(endpoints.get(2), endpoints.get(3));
  }

  @Test
  void aZoneWithTooFewEndpointsFallsBackToAll() {
    // 1 of 10 endpoints in z1, over two zones: below half a fair share (10 / (2 * 2) = 2.5).
    List<Endpoint> endpoints = new ArrayList<>();
    endpoints.add(zoned(1, "z1", "n1"));
    for (int i = 2; i <= 10; i++) {
      endpoints.add(zoned(i, "z2", "n2"));
    }
    LoadBalancer balancer = builder().localZone("z1").build();
    balancer.update(snapshot(1, service(TrafficDistribution.PREFER_CLOSE), endpoints));
    assertThat(countPicks(balancer, 1_000)).hasSize(10);
  }

  @Test
  void whenTheLocalZoneIsAllEjectedTrafficGoesToTheOtherZones() {
    List<Endpoint> endpoints = List.of(zoned(1, "z1", "n1"), zoned(2, "z2", "n2"), zoned(3, "z2", "n3"),
        zoned(4, "z3", "n4"));
    LoadBalancer balancer = builder().localZone("z1").build();
    balancer.update(snapshot(1, service(TrafficDistribution.PREFER_CLOSE), endpoints));
    balancer.pick().connectFailure();
    assertThat(countPicks(balancer, 300)).containsOnlyKeys(endpoints.get(1), endpoints.get(2), endpoints.get(3));
  }

  @Test
  void aRequestCanNameItsOwnZone() {
    List<Endpoint> endpoints = List.of(zoned(1, "z1", "n1"), zoned(2, "z2", "n2"));
    LoadBalancer balancer = builder().localZone("z1").build();
    balancer.update(snapshot(1, service(TrafficDistribution.PREFER_CLOSE), endpoints));
    PickContext fromZ2 = PickContext.builder().zone("z2").build();
    assertThat(countPicks(balancer, 100, fromZ2)).containsOnlyKeys(endpoints.get(1));
    assertThat(countPicks(balancer, 100)).containsOnlyKeys(endpoints.get(0));
  }

  @Test
  void clientIpSessionAffinityOnTheServiceMakesClientsStickWithoutAnyCode() {
    LoadBalancer balancer = builder().build(); // round robin, default affinity
    ServiceInfo clientIp = service(SessionAffinity.CLIENT_IP, Duration.ofSeconds(60), TrafficDistribution.NONE);
    balancer.update(snapshot(1, clientIp, pods(5)));
    PickContext client = PickContext.forKey("192.0.2.10");
    Endpoint first = balancer.pick(client).endpoint();
    assertThat(countPicks(balancer, 50, client)).containsOnlyKeys(first);
    ticker.advance(Duration.ofSeconds(61));
    balancer.pick(PickContext.none()); // shift round robin so the next choice is likely another pod
    assertThat(countPicks(balancer, 50, client)).as("the key sticks again after moving once").hasSize(1);
  }

  @Test
  void clientIpAffinityEndsWhenTheServiceDropsIt() {
    LoadBalancer balancer = builder().build();
    ServiceInfo clientIp = service(SessionAffinity.CLIENT_IP, Duration.ofSeconds(60), TrafficDistribution.NONE);
    balancer.update(snapshot(1, clientIp, pods(5)));
    balancer.update(snapshot(2, pods(5)));
    assertThat(countPicks(balancer, 50, PickContext.forKey("192.0.2.10"))).hasSize(5);
  }
}
