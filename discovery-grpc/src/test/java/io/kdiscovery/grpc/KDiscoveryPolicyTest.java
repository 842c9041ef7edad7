package io.kdiscovery.grpc;

import static io.kdiscovery.grpc.Cluster.asUser;
import static io.kdiscovery.grpc.Cluster.ip;
import static io.kdiscovery.grpc.Cluster.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.table.ProgrammingLatency;
import io.kdiscovery.table.ProgrammingLatency.Stage;
import java.time.Instant;
import java.util.concurrent.CopyOnWriteArrayList;
import io.kdiscovery.testing.Hostnames;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The kdiscovery policy on a real channel: discovery-core's balancer picking per call, fed by outcomes. */
class KDiscoveryPolicyTest {

  private Cluster cluster;

  @BeforeEach
  void start() {
    cluster = Cluster.withThreeReadyPods();
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private ManagedChannel channel(String config) {
    Map<String, ?> serviceConfig = Map.of("loadBalancingConfig", List.of(Map.of("kdiscovery", parseFlat(config))));
    ManagedChannel channel = cluster.channel(Cluster.TARGET, b -> b.defaultServiceConfig(serviceConfig));
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> Whoami.call(channel) != null);
    return channel;
  }

  /** {@code key=value,key=value} as the JSON object grpc would hand over (string values only). */
  private static Map<String, ?> parseFlat(String config) {
    Map<String, Object> fields = new HashMap<>();
    for (String pair : config.split(",")) {
      if (!pair.isEmpty()) {
        String[] kv = pair.split("=", 2);
        fields.put(kv[0], kv[1]);
      }
    }
    return fields;
  }

  @Test
  void sixHundredCallsOverOneChannelSpreadEvenlyOverThreePods() {
    ManagedChannel channel = channel("policy=least_request");

    Map<String, Integer> spread = Cluster.spread(channel, 600);

    assertThat(spread).containsOnlyKeys(pod(1), pod(2), pod(3));
    assertThat(spread.values()).allSatisfy(calls -> assertThat(calls).isBetween(150, 250));
  }

  @Test
  void aPodTurningUnreadyStopsReceivingCallsWithinASecondAndANewPodStartsReceivingThem() {
    ManagedChannel channel = channel("policy=least_request");

    cluster.pods.start(pod(4), ip(4));
    cluster.publish(s -> s.ready(pod(1), ip(1)).notReady(pod(2), ip(2)).ready(pod(3), ip(3)).ready(pod(4), ip(4)));

    await().atMost(Duration.ofSeconds(2)).until(() -> {
      Map<String, Integer> recent = Cluster.spread(channel, 60);
      return !recent.containsKey(pod(2)) && recent.containsKey(pod(4));
    });
    assertThat(Cluster.spread(channel, 300)).containsOnlyKeys(pod(1), pod(3), pod(4));
  }

  @Test
  void aRollingUpdateWithCallsRunningThroughoutFailsNoCall() {
    ManagedChannel channel = channel("policy=peak_ewma");
    try (CallLoad load = CallLoad.start(channel, 2)) {
      cluster.rollingUpdate(load);
      load.stop();

      assertThat(load.failures()).isEmpty();
      // Peak EWMA may favour some new pods over others; none of the old ones may appear.
      assertThat(load.recentPods(100)).isNotEmpty().isSubsetOf(pod(4), pod(5), pod(6));
    }
  }

  @Test
  void scaledToZeroCallsFailFastWithUnavailableNamingTheServiceAndScaledBackTheySucceedAgain() {
    ManagedChannel channel = channel("policy=least_request");

    cluster.publish(s -> s);

    await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
      StatusRuntimeException failure = catchThrowableOfType(StatusRuntimeException.class, () -> Whoami.call(channel));
      assertThat(failure).isNotNull();
      assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(failure.getStatus().getDescription()).contains("Service default/hostnames port 80");
    });

    cluster.publish(s -> s.ready(pod(3), ip(3)));
    await().atMost(Duration.ofSeconds(5)).ignoreExceptions()
        .untilAsserted(() -> assertThat(Whoami.call(channel)).isEqualTo(pod(3)));
  }

  @Test
  void theSameAffinityKeyAlwaysReachesTheSamePodWhileItIsReady() {
    ManagedChannel channel = channel("policy=least_request,affinityMetadataKey=x-user-id");
    Map<String, String> podOfUser = new HashMap<>();

    for (int round = 0; round < 20; round++) {
      for (int user = 0; user < 30; user++) {
        String answeredBy = Whoami.call(asUser(channel, "user-" + user));
        String first = podOfUser.putIfAbsent("user-" + user, answeredBy);
        assertThat(answeredBy).as("user-%d in round %d", user, round).isEqualTo(first == null ? answeredBy : first);
      }
    }
    assertThat(new HashSet<>(podOfUser.values())).as("30 users spread over the pods").hasSize(3);
  }

  @Test
  void anAffinityKeyWhosePodTurnsUnreadyMovesOnceAndSticksToItsNewPod() {
    ManagedChannel channel = channel("policy=round_robin,affinityMetadataKey=x-user-id");
    String before = Whoami.call(asUser(channel, "alice"));
    int index = Integer.parseInt(before.substring(before.lastIndexOf('-') + 1));

    cluster.publish(s -> {
      for (int i = 1; i <= 3; i++) {
        s = i == index ? s.notReady(pod(i), ip(i)) : s.ready(pod(i), ip(i));
      }
      return s;
    });
    await().atMost(Duration.ofSeconds(2)).until(() -> !Whoami.call(asUser(channel, "alice")).equals(before));

    String after = Whoami.call(asUser(channel, "alice"));
    Set<String> answers = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      answers.add(Whoami.call(asUser(channel, "alice")));
    }
    assertThat(answers).containsExactly(after);
  }

  @Test
  void aPodFailingItsCallsIsEjectedAfterFiveFailuresInARow() {
    ManagedChannel channel = channel("policy=round_robin");
    cluster.pods.failWith(pod(2), Status.INTERNAL.withDescription("broken pod"));
    int failures = 0;

    for (int i = 0; i < 300; i++) {
      try {
        Whoami.call(channel);
      } catch (StatusRuntimeException e) {
        assertThat(e.getStatus().getDescription()).isEqualTo("broken pod");
        failures++;
      }
    }

    assertThat(failures).isEqualTo(5);
    assertThat(Cluster.spread(channel, 100)).containsOnlyKeys(pod(1), pod(3));
  }

  @Test
  void peakEwmaSendsFewerCallsToASlowPod() {
    ManagedChannel channel = channel("policy=peak_ewma");
    cluster.pods.slowDown(pod(3), Duration.ofMillis(20));

    Map<String, Integer> spread = Cluster.spread(channel, 300);

    assertThat(spread.getOrDefault(pod(3), 0)).isLessThan(30);
  }

  @Test
  void withPreferCloseCallsStayInTheClientsZone() {
    cluster.pods.start(pod(4), ip(4));
    cluster.api.apply(new ServiceBuilder(Hostnames.service()).editSpec().withTrafficDistribution("PreferClose").endSpec().build());
    EndpointSliceBuilder slice = new EndpointSliceBuilder(Hostnames.slice(Cluster.SLICE).port("default", cluster.pods.port()).build())
        .withEndpoints();
    for (int i = 1; i <= 4; i++) {
      slice.addNewEndpoint().withAddresses(ip(i)).withZone(i <= 2 ? "zone-a" : "zone-b")
          .withNewConditions().withReady(true).endConditions()
          .withNewTargetRef().withKind("Pod").withName(pod(i)).withNamespace("default").endTargetRef()
          .endEndpoint();
    }
    cluster.api.apply(slice.build());
    ManagedChannel channel = channel("policy=round_robin,localZone=zone-b");

    await().atMost(Duration.ofSeconds(2)).until(() -> Cluster.spread(channel, 20).keySet().equals(Set.of(pod(3), pod(4))));
    assertThat(Cluster.spread(channel, 200)).containsOnlyKeys(pod(3), pod(4));
  }

  @Test
  void withPreferSameZoneAndNoSettingCallsStayInTheZoneTheKDiscoveryDetected() {
    cluster.close();
    // The application's node, named by the downward API's NODE_NAME, carries the zone label.
    cluster = new Cluster(api -> {
      api.admin().resource(new NodeBuilder().withNewMetadata().withName("node-b")
          .addToLabels("topology.kubernetes.io/zone", "zone-b").endMetadata().build()).create();
      return KDiscovery.builder().kubernetesClient(api.client()).environment(Map.of("NODE_NAME", "node-b"));
    });
    for (int i = 1; i <= 4; i++) {
      cluster.pods.start(pod(i), ip(i));
    }
    cluster.api.apply(new ServiceBuilder(Hostnames.service()).editSpec().withTrafficDistribution("PreferSameZone").endSpec().build());
    EndpointSliceBuilder slice = new EndpointSliceBuilder(Hostnames.slice(Cluster.SLICE).port("default", cluster.pods.port()).build())
        .withEndpoints();
    for (int i = 1; i <= 4; i++) {
      slice.addNewEndpoint().withAddresses(ip(i)).withZone(i <= 2 ? "zone-a" : "zone-b")
          .withNewConditions().withReady(true).endConditions()
          .withNewTargetRef().withKind("Pod").withName(pod(i)).withNamespace("default").endTargetRef()
          .endEndpoint();
    }
    cluster.api.apply(slice.build());
    ManagedChannel channel = channel("policy=round_robin");

    assertThat(cluster.discovery.location().zone()).isEqualTo("zone-b");
    await().atMost(Duration.ofSeconds(2)).until(() -> Cluster.spread(channel, 20).keySet().equals(Set.of(pod(3), pod(4))));
    assertThat(Cluster.spread(channel, 200)).containsOnlyKeys(pod(3), pod(4));

    // A change stamped by the EndpointSlice controller is timed up to the policy's balancer too.
    List<ProgrammingLatency> measured = new CopyOnWriteArrayList<>();
    cluster.discovery.onProgrammingLatency(measured::add);
    EndpointSlice stamped = slice.build();
    stamped.getEndpoints().get(0).getConditions().setReady(false);
    stamped.getMetadata().getAnnotations().put("endpoints.kubernetes.io/last-change-trigger-time",
        Instant.now().minusMillis(100).toString());
    cluster.api.apply(stamped);
    await().atMost(Duration.ofSeconds(10)).until(() -> measured.stream().anyMatch(m -> m.stage() == Stage.BALANCER));
    assertThat(measured).filteredOn(m -> m.stage() == Stage.BALANCER).first()
        .satisfies(m -> assertThat(m.latency()).isGreaterThanOrEqualTo(Duration.ofMillis(100)));
  }

  @Test
  void aChannelWithAnInvalidPolicyConfigurationFailsWhenBuiltNamingTheProblem() {
    Map<String, ?> serviceConfig = Map.of("loadBalancingConfig", List.of(Map.of("kdiscovery", Map.of("policy", "fastest"))));

    assertThatThrownBy(() -> cluster.channel(Cluster.TARGET, b -> b.defaultServiceConfig(serviceConfig)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("invalid kdiscovery load-balancing config: unknown policy 'fastest'; one of round_robin,");
  }
}
