package io.kdiscovery.grpc;

import io.kdiscovery.affinity.Affinity;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.Policy;
import io.kdiscovery.health.OutlierDetection;
import io.kdiscovery.model.Location;
import io.kdiscovery.model.ServiceKey;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The {@code kdiscovery} policy's configuration, parsed from its service-config JSON object:
 *
 * <pre>{@code
 * {"policy": "least_request",              // or round_robin, weighted_round_robin, random, peak_ewma,
 *                                          //    least_connection, shortest_expected_delay,
 *                                          //    never_queue, ring_hash, maglev
 *  "affinityMetadataKey": "x-user-id",     // calls with the same value stick to one pod
 *  "affinityIdleTimeout": "10800s",        // how long an unused key keeps its pod
 *  "localZone": "eu-west-1a",              // prefer this zone's pods where the Service asks for it
 *                                          //    (default: the zone the KDiscovery detected)
 *  "localNode": "node-7",                  // (default: the node the KDiscovery detected)
 *  "slowStartWindow": "30s",               // ramp a new pod's share up over this window
 *  "subsetSize": 10,                       // connect to 10 pods only (subsetting, for large fleets)
 *  "subsetIndex": 7,                       //   this client's index, e.g. its StatefulSet ordinal;
 *  "subsetSeed": "pod-name",               //   or, without one, a seed (random placement)
 *  "outlierDetection": {"enabled": true, "consecutiveFailures": 5, "baseEjectionTime": "30s",
 *                       "maxEjectionTime": "300s", "maxEjectionPercent": 50}}
 * }</pre>
 *
 * Every field is optional. Immutable; equal when parsed from equal JSON, so that an unchanged service
 * config keeps the balancer (and what it learned) across resolutions.
 */
final class KDiscoveryConfig {

  static final KDiscoveryConfig DEFAULT = parse(Map.of());

  private static final Set<String> FIELDS = Set.of("policy", "affinityMetadataKey", "affinityIdleTimeout",
      "localZone", "localNode", "slowStartWindow", "outlierDetection", "subsetSize", "subsetIndex", "subsetSeed");
  private static final Set<String> OUTLIER_FIELDS = Set.of("enabled", "consecutiveFailures",
      "baseEjectionTime", "maxEjectionTime", "maxEjectionPercent");

  private final Map<String, ?> raw;
  final Policy policy;
  final String affinityMetadataKey;
  final Duration affinityIdleTimeout;
  final String localZone;
  final String localNode;
  final Duration slowStartWindow;
  final OutlierDetection outlierDetection;
  final int subsetSize; // 0: every usable pod
  final Long subsetIndex;
  final String subsetSeed;

  private KDiscoveryConfig(Map<String, ?> raw) {
    this.raw = Map.copyOf(raw);
    unknownFields(raw, FIELDS, "");
    this.policy = policy(string(raw, "policy", "least_request"));
    this.affinityMetadataKey = metadataKey(string(raw, "affinityMetadataKey", null));
    this.affinityIdleTimeout = duration(raw, "affinityIdleTimeout", Duration.ofSeconds(10800));
    this.localZone = string(raw, "localZone", null);
    this.localNode = string(raw, "localNode", null);
    this.slowStartWindow = duration(raw, "slowStartWindow", Duration.ZERO);
    this.outlierDetection = outlierDetection(raw.get("outlierDetection"));
    this.subsetSize = raw.containsKey("subsetSize") ? integer(raw, "subsetSize", "") : 0;
    this.subsetIndex = raw.containsKey("subsetIndex") ? (long) integer(raw, "subsetIndex", "") : null;
    this.subsetSeed = string(raw, "subsetSeed", null);
    if (raw.containsKey("subsetSize") && (subsetSize < 1 || subsetSize > 100_000)) {
      throw new IllegalArgumentException("subsetSize must be in 1..100000: " + subsetSize);
    }
    if (subsetSize == 0 && (subsetIndex != null || subsetSeed != null)) {
      throw new IllegalArgumentException("subsetIndex and subsetSeed need subsetSize");
    }
    if (subsetIndex != null && subsetSeed != null) {
      throw new IllegalArgumentException("set either subsetIndex or subsetSeed, not both");
    }
    if (affinityIdleTimeout.isZero()) {
      throw new IllegalArgumentException("affinityIdleTimeout must be positive");
    }
  }

  /**
   * Parses the policy's JSON object, as grpc hands it over (strings, doubles, booleans, maps).
   *
   * @throws IllegalArgumentException naming the field and what it accepts
   */
  static KDiscoveryConfig parse(Map<String, ?> raw) {
    return new KDiscoveryConfig(raw == null ? Map.of() : raw);
  }

  /** A balancer for {@code service} as this configuration says, with no detected location. */
  LoadBalancer newBalancer(ServiceKey service) {
    return newBalancer(service, Location.UNKNOWN);
  }

  /**
   * A balancer for {@code service} as this configuration says; {@code location} (where the
   * application runs, as detected) fills in {@code localZone}/{@code localNode} when they are not set.
   */
  LoadBalancer newBalancer(ServiceKey service, Location location) {
    LoadBalancer.Builder builder = LoadBalancer.builder()
        .service(service)
        .defaultLocation(location)
        .policy(policy)
        .outlierDetection(outlierDetection)
        .slowStart(slowStartWindow)
        .localZone(localZone)
        .localNode(localNode);
    if (affinityMetadataKey != null && !policy.isConsistentHashing()) {
      builder.affinity(Affinity.sticky(affinityIdleTimeout));
    }
    if (subsetSize > 0) {
      builder.subset(subsetSize);
      if (subsetIndex != null) {
        builder.subsetIndex(subsetIndex);
      } else if (subsetSeed != null) {
        builder.subsetSeed(subsetSeed);
      }
    }
    return builder.build();
  }

  private static Policy policy(String name) {
    for (Policy policy : Policy.values()) {
      if (policy.name().toLowerCase(Locale.ROOT).equals(name)) {
        return policy;
      }
    }
    throw new IllegalArgumentException("unknown policy '" + name + "'; one of " + Arrays.stream(Policy.values())
        .map(p -> p.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
  }

  private static String metadataKey(String key) {
    if (key == null) {
      return null;
    }
    if (key.isEmpty() || !key.equals(key.toLowerCase(Locale.ROOT)) || key.endsWith("-bin") || key.startsWith(":")
        || !key.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
      throw new IllegalArgumentException("affinityMetadataKey must be a lower-case ASCII metadata key"
          + " (letters, digits, '-', '_', '.'; not '-bin'): '" + key + "'");
    }
    return key;
  }

  private static OutlierDetection outlierDetection(Object value) {
    if (value == null) {
      return OutlierDetection.defaults();
    }
    if (!(value instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException("outlierDetection must be an object");
    }
    @SuppressWarnings("unchecked")
    Map<String, ?> fields = (Map<String, ?>) map;
    unknownFields(fields, OUTLIER_FIELDS, "outlierDetection.");
    OutlierDetection.Builder builder = OutlierDetection.builder();
    Object enabled = fields.get("enabled");
    if (enabled != null) {
      if (!(enabled instanceof Boolean b)) {
        throw new IllegalArgumentException("outlierDetection.enabled must be true or false");
      }
      builder.enabled(b);
    }
    if (fields.containsKey("consecutiveFailures")) {
      builder.consecutiveFailures(integer(fields, "consecutiveFailures", "outlierDetection."));
    }
    if (fields.containsKey("baseEjectionTime")) {
      builder.baseEjectionTime(duration(fields, "baseEjectionTime", null));
    }
    if (fields.containsKey("maxEjectionTime")) {
      builder.maxEjectionTime(duration(fields, "maxEjectionTime", null));
    }
    if (fields.containsKey("maxEjectionPercent")) {
      builder.maxEjectedShare(integer(fields, "maxEjectionPercent", "outlierDetection.") / 100.0);
    }
    return builder.build();
  }

  private static void unknownFields(Map<String, ?> raw, Set<String> known, String prefix) {
    for (String field : raw.keySet()) {
      if (!known.contains(field)) {
        throw new IllegalArgumentException("unknown field '" + prefix + field + "'; known: "
            + known.stream().sorted().collect(Collectors.joining(", ")));
      }
    }
  }

  private static String string(Map<String, ?> raw, String field, String fallback) {
    Object value = raw.get(field);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof String s) || s.isBlank()) {
      throw new IllegalArgumentException(field + " must be a non-empty string");
    }
    return s;
  }

  private static int integer(Map<String, ?> raw, String field, String prefix) {
    Object value = raw.get(field);
    if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
        || n.doubleValue() < 0 || n.doubleValue() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(prefix + field + " must be a whole number, at least 0");
    }
    return n.intValue();
  }

  /** A protobuf JSON duration: seconds with an {@code s} suffix, such as {@code "30s"} or {@code "0.5s"}. */
  private static Duration duration(Map<String, ?> raw, String field, Duration fallback) {
    Object value = raw.get(field);
    if (value == null) {
      return fallback;
    }
    if (value instanceof String s && s.endsWith("s")) {
      try {
        BigDecimal seconds = new BigDecimal(s.substring(0, s.length() - 1));
        if (seconds.signum() >= 0) {
          return Duration.ofNanos(seconds.movePointRight(9).longValueExact());
        }
      } catch (NumberFormatException | ArithmeticException e) {
        // reported below
      }
    }
    throw new IllegalArgumentException(field + " must be a duration such as \"30s\" or \"0.5s\": " + value);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KDiscoveryConfig c && raw.equals(c.raw);
  }

  @Override
  public int hashCode() {
    return Objects.hash(raw);
  }

  @Override
  public String toString() {
    return "KDiscoveryConfig" + raw;
  }
}
