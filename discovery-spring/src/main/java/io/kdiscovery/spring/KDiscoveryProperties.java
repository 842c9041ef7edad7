package io.kdiscovery.spring;

import io.kdiscovery.model.RoutableAddresses;
import io.kdiscovery.SourceType;
import io.kdiscovery.balancing.Policy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The kdiscovery.* settings of the Spring integration.
 *
 * <p>Not thread-safe while Spring binds it; read-only afterwards. Every property has a default, so an
 * application inside a cluster needs none of them.
 */
@ConfigurationProperties(prefix = "kdiscovery")
public class KDiscoveryProperties {

  /** Whether kdiscovery's DiscoveryClient, load balancer, endpoint and health indicator are set up. */
  private boolean enabled = true;

  /**
   * The namespace of a service id written without one ("web" rather than "web.shop").
   * Empty: the Kubernetes client's namespace (the pod's own, inside a cluster), else "default".
   */
  private String namespace;

  /**
   * The namespaces searched for a service id written without a namespace, and listed by
   * DiscoveryClient.getServices(). Empty: the namespace above only.
   */
  private List<String> namespaces = new ArrayList<>();

  /**
   * Where endpoints come from: kubernetes (EndpointSlice watches; needs RBAC), dns (a headless
   * Service's records; needs none) or auto (the API when allowed, else DNS).
   */
  private SourceType source = SourceType.KUBERNETES;

  /**
   * What the Kubernetes source watches for the Services looked up: service (a watch of each Service and
   * of its EndpointSlices), namespace (one watch of all Services and one of all EndpointSlices per
   * namespace, however many Services are called; shared with the Service list) or cluster (the same
   * for the whole cluster; needs cluster-wide read access).
   */
  private io.kdiscovery.WatchScope watchScope = io.kdiscovery.WatchScope.SERVICE;

  /** The cluster's DNS domain, for the DNS source. */
  private String clusterDomain = "cluster.local";

  /**
   * The Service port whose pods' port a ServiceInstance carries, when the Service has several and no
   * "primary-port-name" label: this port name if the Service has it, else "https", else "http", else
   * the first port. With the DNS source, the port name looked up in SRV records ("http" when empty).
   */
  private String portName;

  /** How the load balancer chooses a pod per request. */
  private Policy policy = Policy.ROUND_ROBIN;

  /**
   * How many requests in flight each service id's balancer counts on pooled handles (least-request and
   * the other load-aware policies), rounded up to a power of two; more still work, each on a handle of
   * its own. At least 8.
   */
  private int maxOutstandingPicks = 1024;

  /**
   * The longest any lookup (getInstances, getServices, a load-balanced request) waits for the
   * Kubernetes API server: counted from start-up for the Service list and from a service id's first
   * lookup for its endpoints. Past it, lookups fail at once with KDiscoveryUnavailableException until
   * the API server answers.
   */
  private Duration initialWaitTimeout = Duration.ofSeconds(5);

  /**
   * The zone this application runs in, so that picks prefer pods of the same zone where the Service
   * asks for it (trafficDistribution, topology hints). Empty (the default): detected at start from its
   * node's topology.kubernetes.io/zone label (needs get on nodes), else the KDISCOVERY_ZONE environment
   * variable, else spring.cloud.loadbalancer.zone, else no zone preference.
   */
  private String zone;

  /**
   * The node this application runs on, for trafficDistribution PreferSameNode. Empty (the default):
   * detected at start from the NODE_NAME environment variable, else from the application's own Pod
   * (needs get on pods).
   */
  private String node;

  /** How long a new pod's share of requests ramps up to full; zero (the default) turns slow start off. */
  private Duration slowStart = Duration.ZERO;

  /**
   * Whether every namespace is searched and listed (one watch of Services for the cluster; needs a
   * ClusterRole), instead of the namespaces above.
   */
  private boolean allNamespaces;

  /**
   * Only Services carrying all of these labels are discovered and listed, e.g.
   * kdiscovery.service-labels.team=shop.
   */
  private Map<String, String> serviceLabels = new LinkedHashMap<>();

  /**
   * A SpEL expression evaluated on each fabric8 Service object (read-only, as Spring Cloud Kubernetes
   * does); only Services for which it is true are discovered and listed, e.g.
   * metadata.labels['tier'] == 'backend'. Empty: every Service.
   */
  private String filter;

  /** Whether getInstances also returns pods that are not ready (the load balancer still never picks them). */
  private boolean includeNotReadyAddresses;

  /**
   * Whether endpoints at loopback addresses (127.0.0.0/8, ::1) are used: auto (the default) only when
   * the API server's URL or every DNS server is itself a loopback address, as in a development
   * cluster; allow or deny decide either way. Link-local addresses (the cloud metadata service at
   * 169.254.169.254 included), unspecified and multicast addresses are never used. See docs/security.md.
   */
  private RoutableAddresses.Loopback loopbackEndpoints = RoutableAddresses.Loopback.AUTO;

  /**
   * Whether an ExternalName Service is discovered, as one instance whose host is its external name
   * (port -1).
   */
  private boolean includeExternalNameServices;

  /** Pod ports that make an instance secure (https). */
  private Set<Integer> knownSecurePorts = new LinkedHashSet<>(List.of(443, 8443));

  /** The order of kdiscovery's DiscoveryClient among several (Spring Cloud's composite client sorts by it). */
  private int order;

  /**
   * Per-service settings over the global ones, by service id: policy, affinity, outlier detection and
   * slow start, e.g. kdiscovery.services.web.policy=least-request, or
   * kdiscovery.services[web.shop].policy for an id with a namespace.
   */
  private Map<String, ServiceSettings> services = new LinkedHashMap<>();

  private final Metadata metadata = new Metadata();

  private final Heartbeat heartbeat = new Heartbeat();

  private final Affinity affinity = new Affinity();

  private final Health health = new Health();

  private final OutlierDetection outlierDetection = new OutlierDetection();

  private final Names names = new Names();

  public String getZone() {
    return zone;
  }

  public void setZone(String zone) {
    this.zone = zone;
  }

  public String getNode() {
    return node;
  }

  public void setNode(String node) {
    this.node = node;
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

  public io.kdiscovery.WatchScope getWatchScope() {
    return watchScope;
  }

  public void setWatchScope(io.kdiscovery.WatchScope watchScope) {
    this.watchScope = watchScope;
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

  public int getMaxOutstandingPicks() {
    return maxOutstandingPicks;
  }

  public void setMaxOutstandingPicks(int maxOutstandingPicks) {
    this.maxOutstandingPicks = maxOutstandingPicks;
  }

  public Names getNames() {
    return names;
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

  public boolean isAllNamespaces() {
    return allNamespaces;
  }

  public void setAllNamespaces(boolean allNamespaces) {
    this.allNamespaces = allNamespaces;
  }

  public Map<String, String> getServiceLabels() {
    return serviceLabels;
  }

  public void setServiceLabels(Map<String, String> serviceLabels) {
    this.serviceLabels = serviceLabels;
  }

  public String getFilter() {
    return filter;
  }

  public void setFilter(String filter) {
    this.filter = filter;
  }

  public RoutableAddresses.Loopback getLoopbackEndpoints() {
    return loopbackEndpoints;
  }

  public void setLoopbackEndpoints(RoutableAddresses.Loopback loopbackEndpoints) {
    this.loopbackEndpoints = java.util.Objects.requireNonNull(loopbackEndpoints, "loopbackEndpoints");
  }

  public boolean isIncludeNotReadyAddresses() {
    return includeNotReadyAddresses;
  }

  public void setIncludeNotReadyAddresses(boolean includeNotReadyAddresses) {
    this.includeNotReadyAddresses = includeNotReadyAddresses;
  }

  public boolean isIncludeExternalNameServices() {
    return includeExternalNameServices;
  }

  public void setIncludeExternalNameServices(boolean includeExternalNameServices) {
    this.includeExternalNameServices = includeExternalNameServices;
  }

  public Set<Integer> getKnownSecurePorts() {
    return knownSecurePorts;
  }

  public void setKnownSecurePorts(Set<Integer> knownSecurePorts) {
    this.knownSecurePorts = knownSecurePorts;
  }

  public int getOrder() {
    return order;
  }

  public void setOrder(int order) {
    this.order = order;
  }

  public Map<String, ServiceSettings> getServices() {
    return services;
  }

  public void setServices(Map<String, ServiceSettings> services) {
    this.services = services;
  }

  public Metadata getMetadata() {
    return metadata;
  }

  public Heartbeat getHeartbeat() {
    return heartbeat;
  }

  /** The global balancing settings, as the base of every service id's own. */
  ServiceSettings globalSettings() {
    ServiceSettings global = new ServiceSettings();
    global.setPolicy(policy);
    global.setSlowStart(slowStart);
    global.getAffinity().copyFrom(affinity);
    global.getOutlierDetection().copyFrom(outlierDetection);
    return global;
  }

  /**
   * What a ServiceInstance's metadata carries, as Spring Cloud Kubernetes publishes it: the Service's
   * labels, annotations and ports (each switchable, with a prefix), k8s_namespace and type; then
   * kdiscovery's own keys (namespace, zone, node, hostname, pod) where no Service label has the name.
   */
  public static class Metadata {

    /** Whether the Service's labels are added. */
    private boolean addLabels = true;

    /** Prefix of the label keys. */
    private String labelsPrefix = "";

    /** Whether the Service's annotations are added. */
    private boolean addAnnotations = true;

    /** Prefix of the annotation keys. */
    private String annotationsPrefix = "";

    /** Whether the pods' port of each Service port is added, by port name. */
    private boolean addPorts = true;

    /** Prefix of the port keys. */
    private String portsPrefix = "port.";

    public boolean isAddLabels() {
      return addLabels;
    }

    public void setAddLabels(boolean addLabels) {
      this.addLabels = addLabels;
    }

    public String getLabelsPrefix() {
      return labelsPrefix;
    }

    public void setLabelsPrefix(String labelsPrefix) {
      this.labelsPrefix = labelsPrefix == null ? "" : labelsPrefix;
    }

    public boolean isAddAnnotations() {
      return addAnnotations;
    }

    public void setAddAnnotations(boolean addAnnotations) {
      this.addAnnotations = addAnnotations;
    }

    public String getAnnotationsPrefix() {
      return annotationsPrefix;
    }

    public void setAnnotationsPrefix(String annotationsPrefix) {
      this.annotationsPrefix = annotationsPrefix == null ? "" : annotationsPrefix;
    }

    public boolean isAddPorts() {
      return addPorts;
    }

    public void setAddPorts(boolean addPorts) {
      this.addPorts = addPorts;
    }

    public String getPortsPrefix() {
      return portsPrefix;
    }

    public void setPortsPrefix(String portsPrefix) {
      this.portsPrefix = portsPrefix == null ? "" : portsPrefix;
    }

    /**
     * Whether each instance carries its pod's labels (under "labels" of its pod metadata, as Spring
     * Cloud Kubernetes does). Starts a watch of the pods of the selected namespaces: needs get, list
     * and watch on pods.
     */
    private boolean addPodLabels = false;

    /**
     * Whether each instance carries its pod's annotations (under "annotations" of its pod metadata).
     * Starts a watch of the pods of the selected namespaces: needs get, list and watch on pods.
     */
    private boolean addPodAnnotations = false;

    public boolean isAddPodLabels() {
      return addPodLabels;
    }

    public void setAddPodLabels(boolean addPodLabels) {
      this.addPodLabels = addPodLabels;
    }

    public boolean isAddPodAnnotations() {
      return addPodAnnotations;
    }

    public void setAddPodAnnotations(boolean addPodAnnotations) {
      this.addPodAnnotations = addPodAnnotations;
    }
  }

  /** HeartbeatEvents, which Spring Cloud Gateway's discovery locator and other listeners refresh on. */
  public static class Heartbeat {

    /**
     * Whether a HeartbeatEvent is published when the set of Services or the endpoints of a looked-up
     * service id change (pushed by the watches, no polling).
     */
    private boolean enabled = true;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }
  }

  /** One service id's balancing settings; what is not set is taken from the global settings. */
  public static class ServiceSettings {

    /** How the load balancer chooses a pod per request for this service id. */
    private Policy policy;

    /** How long a new pod's share of this service id's requests ramps up to full. */
    private Duration slowStart;

    private final Affinity affinity = new Affinity();

    private final OutlierDetection outlierDetection = new OutlierDetection();

    public Policy getPolicy() {
      return policy;
    }

    public void setPolicy(Policy policy) {
      this.policy = policy;
    }

    public Duration getSlowStart() {
      return slowStart;
    }

    public void setSlowStart(Duration slowStart) {
      this.slowStart = slowStart;
    }

    public Affinity getAffinity() {
      return affinity;
    }

    public OutlierDetection getOutlierDetection() {
      return outlierDetection;
    }
  }

  /**
   * Session affinity: which part of an outgoing request keeps it on the same pod. The first of header,
   * cookie and client IP that the request carries is the key.
   */
  public static class Affinity {

    /** The request header whose value is the affinity key, e.g. X-User-Id. */
    private String header;

    /** The cookie whose value is the affinity key, e.g. SESSION. */
    private String cookie;

    /**
     * Whether the client's IP is the affinity key: the request attribute "io.kdiscovery.client-ip"
     * (KDiscoveryAttributes.CLIENT_IP), else the X-Forwarded-For address chosen by trusted-hops.
     */
    private boolean clientIp;

    /**
     * How many proxies in front of this application append to X-Forwarded-For and are trusted, as
     * Envoy's xff_num_trusted_hops: the client IP is the entry that many places from the right (1, the
     * default: the right-most, which the last trusted proxy appended). 0 ignores X-Forwarded-For; so
     * does a header with fewer entries than that. Only the request attribute then gives a client IP.
     */
    private int trustedHops = 1;

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

    public int getTrustedHops() {
      return trustedHops;
    }

    public void setTrustedHops(int trustedHops) {
      if (trustedHops < 0) {
        throw new IllegalArgumentException("kdiscovery.affinity.trusted-hops must not be negative: " + trustedHops);
      }
      this.trustedHops = trustedHops;
    }

    void copyFrom(Affinity other) {
      header = other.header;
      cookie = other.cookie;
      clientIp = other.clientIp;
      idleTimeout = other.idleTimeout;
      trustedHops = other.trustedHops;
    }

    /** Whether any affinity source is configured. */
    boolean isConfigured() {
      return (header != null && !header.isBlank()) || (cookie != null && !cookie.isBlank()) || clientIp;
    }
  }

  /**
   * With the DNS source, which cannot list Services, the service ids looked up by name: each one
   * looked up is watched until it goes unused, and a name that is no Service is remembered as such
   * only briefly, so names taken from requests cannot grow state without bound.
   */
  public static class Names {

    /** How long a Service looked up by name stays watched without a lookup or a request. */
    private Duration idleTimeout = Duration.ofMinutes(5);

    /** The most Services watched by name at once; beyond it the least recently used are released. */
    private int maxServices = 1000;

    /** How long a name that is no Service (NXDOMAIN) is answered as such without asking again. */
    private Duration notFoundTtl = Duration.ofSeconds(30);

    public Duration getIdleTimeout() {
      return idleTimeout;
    }

    public void setIdleTimeout(Duration idleTimeout) {
      this.idleTimeout = positive("kdiscovery.names.idle-timeout", idleTimeout);
    }

    public int getMaxServices() {
      return maxServices;
    }

    public void setMaxServices(int maxServices) {
      if (maxServices < 1) {
        throw new IllegalArgumentException("kdiscovery.names.max-services must be at least 1: " + maxServices);
      }
      this.maxServices = maxServices;
    }

    public Duration getNotFoundTtl() {
      return notFoundTtl;
    }

    public void setNotFoundTtl(Duration notFoundTtl) {
      this.notFoundTtl = positive("kdiscovery.names.not-found-ttl", notFoundTtl);
    }

    private static Duration positive(String name, Duration value) {
      if (value == null || value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + value);
      }
      return value;
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

    void copyFrom(OutlierDetection other) {
      enabled = other.enabled;
      consecutiveFailures = other.consecutiveFailures;
      ejectOnConnectFailure = other.ejectOnConnectFailure;
      baseEjectionTime = other.baseEjectionTime;
      maxEjectionTime = other.maxEjectionTime;
      maxEjectedShare = other.maxEjectedShare;
      panicThreshold = other.panicThreshold;
    }

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
