package io.kdiscovery.grpc;

import static io.kdiscovery.grpc.Cluster.asUser;
import static io.kdiscovery.grpc.Cluster.ip;
import static io.kdiscovery.grpc.Cluster.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * grpc's own policies from grpc-xds — least request, weighted round robin, ring hash — chosen by
 * service config on a kubernetes:/// target: the resolver's addresses are all they need.
 */
class GrpcXdsPoliciesChannelTest {

  private static final int USERS = 60;

  private Cluster cluster;

  @BeforeEach
  void start() {
    cluster = Cluster.withThreeReadyPods();
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  /** A channel whose service config names {@code policy} with {@code config}; returned once it answers. */
  private ManagedChannel channel(String policy, Map<String, ?> config) {
    Map<String, ?> serviceConfig = Map.of("loadBalancingConfig", List.of(Map.of(policy, config)));
    ManagedChannel channel = cluster.channel(Cluster.TARGET, b -> b.defaultServiceConfig(serviceConfig));
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> Whoami.call(channel) != null);
    return channel;
  }

  @ParameterizedTest
  @ValueSource(strings = {"least_request_experimental", "weighted_round_robin"})
  void sixHundredCallsOverOneChannelSpreadEvenlyOverThreePods(String policy) {
    ManagedChannel channel = channel(policy, Map.of());
    await().atMost(Duration.ofSeconds(10)).until(() -> Cluster.spread(channel, 30).size() == 3);

    Map<String, Integer> spread = Cluster.spread(channel, 600);

    assertThat(spread).containsOnlyKeys(pod(1), pod(2), pod(3));
    // Sequential calls: least request sees no load anywhere and picks two at random; weighted round
    // robin has no load reports, so every weight is equal. Either way about 200 each (σ ≈ 12).
    assertThat(spread.values()).allSatisfy(calls -> assertThat(calls).isBetween(150, 250));
  }

  @ParameterizedTest
  @ValueSource(strings = {"least_request_experimental", "weighted_round_robin"})
  void aPodTurningUnreadyStopsReceivingCallsWithinASecond(String policy) {
    ManagedChannel channel = channel(policy, Map.of());
    await().atMost(Duration.ofSeconds(10)).until(() -> Cluster.spread(channel, 30).size() == 3);

    cluster.publish(s -> s.ready(pod(1), ip(1)).notReady(pod(2), ip(2)).ready(pod(3), ip(3)));

    await().atMost(Duration.ofSeconds(2)).until(() -> !Cluster.spread(channel, 30).containsKey(pod(2)));
    assertThat(Cluster.spread(channel, 300)).containsOnlyKeys(pod(1), pod(3));
  }

  @Test
  void ringHashOnAMetadataKeySendsEachUserToOnePodBeforeAndAfterAPodLeaves() {
    ManagedChannel channel = channel("ring_hash_experimental", Map.of("requestHashHeader", "x-user-id"));
    // Ring hash connects to a pod on the first call that hashes to it; settle the connections first.
    await().atMost(Duration.ofSeconds(10)).until(() -> podOfEachUser(channel).equals(podOfEachUser(channel)));

    Map<String, String> before = podOfEachUser(channel);
    for (int round = 0; round < 5; round++) {
      assertThat(podOfEachUser(channel)).as("round %d", round).isEqualTo(before);
    }
    assertThat(new HashSet<>(before.values())).as("%d users spread over the pods", USERS).hasSize(3);

    cluster.publish(s -> s.ready(pod(1), ip(1)).notReady(pod(2), ip(2)).ready(pod(3), ip(3)));
    await().atMost(Duration.ofSeconds(2)).until(() -> !podOfEachUser(channel).containsValue(pod(2)));

    // grpc's ring keeps a fixed number of points and redraws each survivor's share of them, so a few
    // users may also move between pods 1 and 3 (kdiscovery's own RING_HASH policy moves none); what
    // the resolver must give is a ring that again sends each user to one pod.
    Map<String, String> after = podOfEachUser(channel);
    for (int round = 0; round < 5; round++) {
      assertThat(podOfEachUser(channel)).as("round %d after pod 2 left", round).isEqualTo(after);
    }
    assertThat(new HashSet<>(after.values())).containsExactlyInAnyOrder(pod(1), pod(3));
  }

  private static Map<String, String> podOfEachUser(ManagedChannel channel) {
    Map<String, String> pods = new TreeMap<>();
    for (int user = 0; user < USERS; user++) {
      pods.put("user-" + user, Whoami.call(asUser(channel, "user-" + user)));
    }
    return pods;
  }
}
