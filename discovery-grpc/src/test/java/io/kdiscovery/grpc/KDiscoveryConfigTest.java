package io.kdiscovery.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.NameResolver.ConfigOrError;
import io.kdiscovery.balancing.Policy;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the kdiscovery policy reads from its service-config object, and how it refuses bad input. */
class KDiscoveryConfigTest {

  private final KDiscoveryLoadBalancerProvider provider = new KDiscoveryLoadBalancerProvider();

  @Test
  void anEmptyObjectMeansLeastRequestWithoutAffinity() {
    KDiscoveryConfig config = KDiscoveryConfig.parse(Map.of());

    assertThat(config.policy).isEqualTo(Policy.LEAST_REQUEST);
    assertThat(config.affinityMetadataKey).isNull();
    assertThat(config.slowStartWindow).isZero();
    assertThat(config.outlierDetection.consecutiveFailures()).isEqualTo(5);
  }

  @Test
  void everyFieldIsReadAsGrpcHandsItOver() {
    KDiscoveryConfig config = KDiscoveryConfig.parse(Map.of(
        "policy", "peak_ewma",
        "affinityMetadataKey", "x-user-id",
        "affinityIdleTimeout", "600s",
        "localZone", "zone-a",
        "localNode", "node-1",
        "slowStartWindow", "0.5s",
        "outlierDetection", Map.of("consecutiveFailures", 3.0, "baseEjectionTime", "10s",
            "maxEjectionTime", "60s", "maxEjectionPercent", 34.0, "enabled", true)));

    assertThat(config.policy).isEqualTo(Policy.PEAK_EWMA);
    assertThat(config.affinityMetadataKey).isEqualTo("x-user-id");
    assertThat(config.affinityIdleTimeout).isEqualTo(Duration.ofMinutes(10));
    assertThat(config.localZone).isEqualTo("zone-a");
    assertThat(config.localNode).isEqualTo("node-1");
    assertThat(config.slowStartWindow).isEqualTo(Duration.ofMillis(500));
    assertThat(config.outlierDetection.consecutiveFailures()).isEqualTo(3);
    assertThat(config.outlierDetection.baseEjectionTime()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.outlierDetection.maxEjectionTime()).isEqualTo(Duration.ofSeconds(60));
    assertThat(config.outlierDetection.maxEjectedShare()).isEqualTo(0.34);
  }

  @Test
  void subsettingIsReadAndReachesTheBalancer() {
    KDiscoveryConfig config = KDiscoveryConfig.parse(Map.of("subsetSize", 3.0, "subsetIndex", 7.0));

    assertThat(config.subsetSize).isEqualTo(3);
    assertThat(config.subsetIndex).isEqualTo(7L);
    var balancer = config.newBalancer(io.kdiscovery.model.ServiceKey.of("default", "hostnames", 80));
    balancer.update(new io.kdiscovery.model.ServiceSnapshot(io.kdiscovery.model.ServiceKey.of("default", "hostnames", 80),
        1, java.time.Instant.EPOCH, true, io.kdiscovery.model.ServiceInfo.UNKNOWN,
        java.util.stream.IntStream.rangeClosed(1, 10).mapToObj(i -> io.kdiscovery.model.Endpoint.of("10.0.0." + i, 80))
            .toList()));
    assertThat(balancer.endpoints()).hasSize(3);
    assertThat(KDiscoveryConfig.parse(Map.of("subsetSize", 3.0, "subsetSeed", "pod-a")).subsetSeed).isEqualTo("pod-a");
  }

  @Test
  void configsParsedFromEqualJsonAreEqualSoTheBalancerIsKept() {
    assertThat(KDiscoveryConfig.parse(Map.of("policy", "random")))
        .isEqualTo(KDiscoveryConfig.parse(Map.of("policy", "random")))
        .isNotEqualTo(KDiscoveryConfig.parse(Map.of("policy", "maglev")));
  }

  @Test
  void badInputIsRefusedNamingTheFieldAndWhatItAccepts() {
    assertThat(error(Map.of("policy", "fastest"))).endsWith("unknown policy 'fastest'; one of round_robin,"
        + " weighted_round_robin, random, least_request, peak_ewma, least_connection, shortest_expected_delay,"
        + " never_queue, ring_hash, maglev");
    assertThat(error(Map.of("affinityKey", "x"))).contains("unknown field 'affinityKey'; known: affinityIdleTimeout,");
    assertThat(error(Map.of("affinityMetadataKey", "X-User"))).contains("affinityMetadataKey must be a lower-case");
    assertThat(error(Map.of("affinityMetadataKey", "user-bin"))).contains("not '-bin'");
    assertThat(error(Map.of("slowStartWindow", "30"))).contains("slowStartWindow must be a duration such as \"30s\"");
    assertThat(error(Map.of("outlierDetection", Map.of("consecutiveFailures", 0.0))))
        .contains("consecutiveFailures must be at least 1");
    assertThat(error(Map.of("outlierDetection", Map.of("maxEjectionPercent", 12.5))))
        .contains("outlierDetection.maxEjectionPercent must be a whole number");
    assertThat(error(Map.of("subsetSize", 0.0))).contains("subsetSize must be in 1..100000: 0");
    assertThat(error(Map.of("subsetSize", 2.5))).contains("subsetSize must be a whole number");
    assertThat(error(Map.of("subsetIndex", 1.0))).contains("subsetIndex and subsetSeed need subsetSize");
    assertThat(error(Map.of("subsetSize", 2.0, "subsetIndex", -1.0))).contains("subsetIndex must be a whole number, at least 0");
    assertThat(error(Map.of("subsetSize", 2.0, "subsetIndex", 1.0, "subsetSeed", "a")))
        .contains("set either subsetIndex or subsetSeed, not both");
  }

  @Test
  void theProviderIsFoundUnderItsPolicyName() {
    assertThat(io.grpc.LoadBalancerRegistry.getDefaultRegistry().getProvider("kdiscovery"))
        .isInstanceOf(KDiscoveryLoadBalancerProvider.class);
  }

  private String error(Map<String, ?> raw) {
    ConfigOrError parsed = provider.parseLoadBalancingPolicyConfig(raw);
    assertThat(parsed.getError()).as("error for %s", raw).isNotNull();
    assertThatThrownBy(() -> KDiscoveryConfig.parse(raw)).isInstanceOf(IllegalArgumentException.class);
    return parsed.getError().getDescription();
  }
}
