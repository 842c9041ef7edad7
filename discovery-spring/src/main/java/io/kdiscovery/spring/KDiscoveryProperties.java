package io.kdiscovery.spring;

import io.kdiscovery.SourceType;
import io.kdiscovery.balancing.Policy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code kdiscovery.*} settings of the Spring integration.
 *
 * <p>Not thread-safe while Spring binds it; read-only afterwards. Every property has a default, so an
 * application inside a cluster needs none of them.
 */
@ConfigurationProperties(prefix = "kdiscovery")
public class KDiscoveryProperties {

  /** Whether kdiscovery's DiscoveryClient, load balancer, endpoint and health indicator are set up. */
  private boolean enabled = true;

  /**
   * The namespace of a service id written without one ({@code web} rather than {@code web.shop}).
   * Empty: the Kubernetes client's namespace (the pod's own, inside a cluster), else {@code default}.
   */
  private String namespace;

  /**
   * The namespaces whose Services {@code DiscoveryClient.getServices()} lists. Empty: the namespace of
   * unqualified service ids only.
   */
  private List<String> namespaces = new ArrayList<>();

  /**
   * Where endpoints come from: {@code kubernetes} (EndpointSlice watches; needs RBAC), {@code dns} (a
   * headless Service's records; needs none) or {@code auto} (the API when allowed, else DNS).
   */
  private SourceType source = SourceType.KUBERNETES;

  /** The cluster's DNS domain, for the DNS source. */
  private String clusterDomain = "cluster.local";

  /**
   * The Service port whose pods' port a ServiceInstance carries, when the Service has several: this
   * port name if the Service has it, else {@code https}, else {@code http}, else the first port. With
   * the DNS source, the port name looked up in SRV records ({@code http} when empty).
   */
  private String portName;

  /** How the load balancer chooses a pod per request. */
  private Policy policy = Policy.ROUND_ROBIN;

  /** How long to wait for a Service's first table before a lookup answers empty. */
  private Duration initialWaitTimeout = Duration.ofSeconds(5);

  /**
   * The zone this application runs in ({@code topology.kubernetes.io/zone} of its node), so that picks
   * prefer pods of the same zone where the Service asks for it ({@code trafficDistribution}, topology
   * hints). Empty: no zone preference.
   */
  private String zone;

  /** How long a new pod's share of requests ramps up to full; zero (the default) turns slow start off. */
  private Duration slowStart = Duration.ZERO;

  private final Affinity affinity = new Affinity();

  private final Health health = new Health();

  private final OutlierDetection outlierDetection = new OutlierDetection();

  public String getZone() {
    return zone;
  }

  public void setZone(String zone) {
    this.zone = zone;
  }

  public Duration getSlowStart() {
    return slowStart;
  }

  public void setSlowStart(Duration slowStart) {
    this.slowStart = slowStart;
  }

  public OutlierDetection getOutlierDetection() {
    return outlierDetection;
  }

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public String getNamespace() {
    return namespace;
  }

  public void setNamespace(String namespace) {
    this.namespace = namespace;
  }

  public List<String> getNamespaces() {
    return namespaces;
  }

  public void setNamespaces(List<String> namespaces) {
    this.namespaces = namespaces;
  }

  public SourceType getSource() {
    return source;
  }

  public void setSource(SourceType source) {
    this.source = source;
  }

  public String getClusterDomain() {
    return clusterDomain;
  }

  public void setClusterDomain(String clusterDomain) {
    this.clusterDomain = clusterDomain;
  }

  public String getPortName() {
    return portName;
  }

  public void setPortName(String portName) {
    this.portName = portName;
  }

  public Policy getPolicy() {
    return policy;
  }

  public void setPolicy(Policy policy) {
    this.policy = policy;
  }

  public Duration getInitialWaitTimeout() {
    return initialWaitTimeout;
  }

  public void setInitialWaitTimeout(Duration initialWaitTimeout) {
    this.initialWaitTimeout = initialWaitTimeout;
  }

  public Affinity getAffinity() {
    return affinity;
  }

  public Health getHealth() {
    return health;
  }

  /**
   * Session affinity: which part of an outgoing request keeps it on the same pod. The first of header,
   * cookie and client IP that the request carries is the key.
   */
  public static class Affinity {

    /** The request header whose value is the affinity key, e.g. {@code X-User-Id}. */
    private String header;

    /** The cookie whose value is the affinity key, e.g. {@code SESSION}. */
    private String cookie;

    /**
     * Whether the client's IP is the affinity key: the request attribute
     * {@value KDiscoveryAttributes#CLIENT_IP}, else the first address of {@code X-Forwarded-For}.
     */
    private boolean clientIp;

    /** How long an unused key stays on its pod (with a policy that is not consistent hashing). */
    private Duration idleTimeout = Duration.ofMinutes(30);

    public String getHeader() {
      return header;
    }

    public void setHeader(String header) {
      this.header = header;
    }

    public String getCookie() {
      return cookie;
    }

    public void setCookie(String cookie) {
      this.cookie = cookie;
    }

    public boolean isClientIp() {
      return clientIp;
    }

    public void setClientIp(boolean clientIp) {
      this.clientIp = clientIp;
    }

    public Duration getIdleTimeout() {
      return idleTimeout;
    }

    public void setIdleTimeout(Duration idleTimeout) {
      this.idleTimeout = idleTimeout;
    }

    /** Whether any affinity source is configured. */
    boolean isConfigured() {
      return (header != null && !header.isBlank()) || (cookie != null && !cookie.isBlank()) || clientIp;
    }
  }

  /** The health indicator. */
  public static class Health {

    /**
     * How long a watched Service's table may go unconfirmed by its source (API server or DNS
     * unreachable) before health is DOWN. The last good table keeps serving meanwhile.
     */
    private Duration staleness = Duration.ofMinutes(1);

    public Duration getStaleness() {
      return staleness;
    }

    public void setStaleness(Duration staleness) {
      this.staleness = staleness;
    }
  }

  /** Passive health: how reported request outcomes take a failing pod out of rotation for a while. */
  public static class OutlierDetection {

    /** Whether failing pods are ejected at all. */
    private boolean enabled = true;

    /** Failed requests (an I/O error or a 5xx answer) in a row that eject a pod. */
    private int consecutiveFailures = 5;

    /** Whether one refused or failed connection ejects a pod at once. */
    private boolean ejectOnConnectFailure = true;

    /** How long the first ejection lasts; each further one lasts this much longer. */
    private Duration baseEjectionTime = Duration.ofSeconds(30);

    /** The longest an ejection lasts. */
    private Duration maxEjectionTime = Duration.ofMinutes(5);

    /** The largest share of a Service's pods ejected at once, in (0, 1]. */
    private double maxEjectedShare = 0.5;

    /** Below this share of healthy pods, ejections are ignored and every pod gets traffic, in [0, 1]. */
    private double panicThreshold = 0.5;

    /**
     * These settings as kdiscovery's {@link io.kdiscovery.health.OutlierDetection}.
     *
     * @throws IllegalArgumentException naming the property that is out of range
     */
    io.kdiscovery.health.OutlierDetection toOutlierDetection() {
      if (!enabled) {
        return io.kdiscovery.health.OutlierDetection.disabled();
      }
      try {
        return io.kdiscovery.health.OutlierDetection.builder()
            .consecutiveFailures(consecutiveFailures)
            .ejectOnConnectFailure(ejectOnConnectFailure)
            .baseEjectionTime(baseEjectionTime)
            .maxEjectionTime(maxEjectionTime)
            .maxEjectedShare(maxEjectedShare)
            .panicThreshold(panicThreshold)
            .build();
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("kdiscovery.outlier-detection: " + e.getMessage(), e);
      }
    }

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public int getConsecutiveFailures() {
      return consecutiveFailures;
    }

    public void setConsecutiveFailures(int consecutiveFailures) {
      this.consecutiveFailures = consecutiveFailures;
    }

    public boolean isEjectOnConnectFailure() {
      return ejectOnConnectFailure;
    }

    public void setEjectOnConnectFailure(boolean ejectOnConnectFailure) {
      this.ejectOnConnectFailure = ejectOnConnectFailure;
    }

    public Duration getBaseEjectionTime() {
      return baseEjectionTime;
    }

    public void setBaseEjectionTime(Duration baseEjectionTime) {
      this.baseEjectionTime = baseEjectionTime;
    }

    public Duration getMaxEjectionTime() {
      return maxEjectionTime;
    }

    public void setMaxEjectionTime(Duration maxEjectionTime) {
      this.maxEjectionTime = maxEjectionTime;
    }

    public double getMaxEjectedShare() {
      return maxEjectedShare;
    }

    public void setMaxEjectedShare(double maxEjectedShare) {
      this.maxEjectedShare = maxEjectedShare;
    }

    public double getPanicThreshold() {
      return panicThreshold;
    }

    public void setPanicThreshold(double panicThreshold) {
      this.panicThreshold = panicThreshold;
    }
  }
}
