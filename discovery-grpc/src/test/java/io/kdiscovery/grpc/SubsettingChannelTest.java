package io.kdiscovery.grpc;

import static io.kdiscovery.grpc.Cluster.ip;
import static io.kdiscovery.grpc.Cluster.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.ServiceHandle;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The kdiscovery policy with subsetting on a real channel over six real pods: connections (counted
 * on the pods' servers) and calls go only to this client's subset, and a subset pod that leaves is
 * replaced by one new connection while the other stays.
 */
class SubsettingChannelTest {

  private static final int SUBSET = 2;
  private static final long CLIENT_INDEX = 5;

  private Cluster cluster;

  @BeforeEach
  void start() {
    cluster = Cluster.withThreeReadyPods();
    for (int i = 4; i <= 6; i++) {
      cluster.pods.start(pod(i), ip(i));
    }
    cluster.publish(s -> {
      for (int i = 1; i <= 6; i++) {
        s.ready(pod(i), ip(i));
      }
      return s;
    });
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void subchannelsAreCreatedOnlyForTheSubsetAndALeavingPodMovesOnlyItsConnection() {
    ManagedChannel channel = cluster.channel(Cluster.TARGET, b -> b.defaultServiceConfig(Map.of("loadBalancingConfig",
        List.of(Map.of("kdiscovery", Map.of("policy", "round_robin", "subsetSize", (double) SUBSET,
            "subsetIndex", (double) CLIENT_INDEX))))));
    Set<String> subset = expectedSubset(6);
    assertThat(subset).hasSize(SUBSET);

    await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
        .until(() -> Cluster.spread(channel, 40).keySet().equals(subset));
    assertThat(Cluster.spread(channel, 200).keySet()).isEqualTo(subset);
    assertThat(connectedPods(1, 6)).isEqualTo(subset);

    // One pod of the subset is deleted: it leaves the slice, then stops.
    String leaving = subset.iterator().next();
    String staying = subset.stream().filter(p -> !p.equals(leaving)).findFirst().orElseThrow();
    int leavingIndex = Integer.parseInt(leaving.substring(leaving.lastIndexOf('-') + 1));
    cluster.publish(s -> {
      for (int i = 1; i <= 6; i++) {
        if (i != leavingIndex) {
          s.ready(pod(i), ip(i));
        }
      }
      return s;
    });
    Set<String> next = expectedSubsetWithout(leavingIndex);
    assertThat(next).hasSize(SUBSET).contains(staying).doesNotContain(leaving);

    await().atMost(Duration.ofSeconds(10)).until(() -> Cluster.spread(channel, 40).keySet().equals(next));
    await().atMost(Duration.ofSeconds(10)).until(() -> connectedPods(1, 6).equals(next));
    assertThat(Cluster.spread(channel, 200).keySet()).isEqualTo(next);
  }

  /** The pods among 1..n holding a connection now. */
  private Set<String> connectedPods(int from, int to) {
    return IntStream.rangeClosed(from, to).mapToObj(Cluster::pod)
        .filter(name -> cluster.pods.connections(name) > 0).collect(Collectors.toCollection(TreeSet::new));
  }

  private Set<String> expectedSubset(int pods) {
    return subsetOfTableSnapshot(snapshot -> snapshot.endpoints().size() == pods);
  }

  private Set<String> expectedSubsetWithout(int gone) {
    return subsetOfTableSnapshot(snapshot -> snapshot.endpoints().stream().noneMatch(e -> e.address().equals(ip(gone))));
  }

  /**
   * What discovery-core's balancer, set as the channel's policy is, chooses from the table's snapshot
   * (the same one the resolver hands the channel), as pod names. The same updates in the same order as
   * the channel's balancer: the first six, then the one without the leaving pod.
   */
  private final LoadBalancer reference = LoadBalancer.builder().subset(SUBSET).subsetIndex(CLIENT_INDEX).build();

  private Set<String> subsetOfTableSnapshot(java.util.function.Predicate<ServiceSnapshot> ready) {
    try (ServiceHandle handle = cluster.discovery.open("hostnames.default:80")) {
      await().atMost(Duration.ofSeconds(5)).until(() -> handle.snapshot().filter(ready).isPresent());
      reference.update(handle.snapshot().orElseThrow());
    }
    Set<String> names = new TreeSet<>();
    for (Endpoint e : reference.endpoints()) {
      names.add(pod(Integer.parseInt(e.address().substring(e.address().lastIndexOf('.') + 1)) - 10));
    }
    return names;
  }
}
