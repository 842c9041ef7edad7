package io.kdiscovery.model;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the Service object says beyond its endpoints: the settings that change how a pod is picked.
 *
 * <p>Immutable. {@link #UNKNOWN} stands for a Service that could not be read (a DNS source, or an
 * application without read access to Services); its settings are the Kubernetes defaults.
 *
 * @param type the Service's type; {@link Type#UNKNOWN} when the Service was not read
 * @param sessionAffinity {@code spec.sessionAffinity}
 * @param sessionAffinityTimeout {@code sessionAffinityConfig.clientIP.timeoutSeconds} (default 10800 s)
 * @param trafficDistribution {@code spec.trafficDistribution}
 * @param publishNotReadyAddresses {@code spec.publishNotReadyAddresses}
 * @param ports the Service's ports
 * @param labels the Service's labels
 * @param externalName {@code spec.externalName} for an ExternalName Service, else null
 * @param namespace the Service's namespace, or null when the Service was not read
 * @param name the Service's name, or null when the Service was not read
 * @param annotations the Service's annotations
 * @param clusterIp {@code spec.clusterIP}: an address, {@code None} for a headless Service, or null
 *     when unset or not read
 */
public record ServiceInfo(
    Type type,
    SessionAffinity sessionAffinity,
    Duration sessionAffinityTimeout,
    TrafficDistribution trafficDistribution,
    boolean publishNotReadyAddresses,
    List<ServicePort> ports,
    Map<String, String> labels,
    String externalName,
    String namespace,
    String name,
    Map<String, String> annotations,
    String clusterIp) {

  /** Kubernetes' default ClientIP affinity timeout: three hours. */
  public static final Duration DEFAULT_AFFINITY_TIMEOUT = Duration.ofSeconds(10800);

  /** A Service that was not read: no affinity, no traffic distribution, no known ports. */
  public static final ServiceInfo UNKNOWN = new ServiceInfo(Type.UNKNOWN, SessionAffinity.NONE,
      DEFAULT_AFFINITY_TIMEOUT, TrafficDistribution.NONE, false, List.of(), Map.of(), null, null, null, Map.of(), null);

  public ServiceInfo {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(sessionAffinity, "sessionAffinity");
    Objects.requireNonNull(sessionAffinityTimeout, "sessionAffinityTimeout");
    Objects.requireNonNull(trafficDistribution, "trafficDistribution");
    ports = List.copyOf(ports);
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
  }

  /** The settings without the Service's identity, annotations and cluster IP (as before they existed). */
  public ServiceInfo(Type type, SessionAffinity sessionAffinity, Duration sessionAffinityTimeout,
      TrafficDistribution trafficDistribution, boolean publishNotReadyAddresses, List<ServicePort> ports,
      Map<String, String> labels, String externalName) {
    this(type, sessionAffinity, sessionAffinityTimeout, trafficDistribution, publishNotReadyAddresses, ports,
        labels, externalName, null, null, Map.of(), null);
  }

  /** Whether the Service is headless ({@code clusterIP: None}): DNS names its pods, not a virtual IP. */
  public boolean headless() {
    return type == Type.HEADLESS;
  }

  /** The Service port a key names, by number or by name; null when the Service has no such port. */
  public ServicePort port(ServiceKey key) {
    for (ServicePort p : ports) {
      if (key.hasPortNumber() ? p.port() == key.portNumber() : p.name().equals(key.port())) {
        return p;
      }
    }
    return null;
  }

  /** The kinds of Service; a headless Service is a ClusterIP Service with {@code clusterIP: None}. */
  public enum Type { CLUSTER_IP, HEADLESS, NODE_PORT, LOAD_BALANCER, EXTERNAL_NAME, UNKNOWN }

  /** {@code spec.sessionAffinity}. */
  public enum SessionAffinity { NONE, CLIENT_IP }

  /** {@code spec.trafficDistribution}: where the Service prefers traffic to go. */
  public enum TrafficDistribution {
    /** Unset: no preference. */
    NONE,
    /** {@code PreferClose}: endpoints in the client's zone (what topology hints express). */
    PREFER_CLOSE,
    /** {@code PreferSameZone}. */
    PREFER_SAME_ZONE,
    /** {@code PreferSameNode}, falling back to the same zone. */
    PREFER_SAME_NODE
  }
}
