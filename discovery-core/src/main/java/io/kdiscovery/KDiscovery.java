package io.kdiscovery;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.catalog.ServiceCatalog;
import io.kdiscovery.model.RoutableAddresses;
import io.kdiscovery.model.Location;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.dns.DnsEndpointSource;
import io.kdiscovery.source.kubernetes.KubernetesEndpointSource;
import io.kdiscovery.table.EndpointTable;
import io.kdiscovery.table.ProgrammingLatency;
import io.kdiscovery.table.ProgrammingLatencyListener;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.Subscription;
import io.kdiscovery.time.DaemonThreads;
import io.kdiscovery.time.Scheduler;
import io.kdiscovery.time.Ticker;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point of kdiscovery: a live endpoint table per Service port, fed by the Kubernetes API
 * (or another {@link EndpointSource}).
 *
 * <pre>{@code
 * try (KDiscovery discovery = KDiscovery.create();
 *      ServiceHandle hostnames = discovery.open("hostnames.default:80")) {
 *   ServiceSnapshot snapshot = hostnames.awaitSnapshot(Duration.ofSeconds(5));
 *   hostnames.subscribe(s -> System.out.println(s.endpoints()));
 * }
 * }</pre>
 *
 * <p>Thread-safe; meant to be created once per application and shared. Opening never blocks on
 * I/O. Closing stops every watch and releases what this instance created (threads, and the
 * Kubernetes client unless it was passed in).
 *
 * <p><b>Where am I.</b> At build, the application's zone and node are found once, off the request
 * path ({@link #location()}): the node from {@code NODE_NAME} or the application's own Pod, the zone
 * from that node's {@code topology.kubernetes.io/zone} label, else {@code KDISCOVERY_ZONE}; explicit
 * {@link Builder#zone}/{@link Builder#node} settings win. Every balancer made by {@link #balance}
 * prefers that zone and node where a Service asks for it, unless its builder sets its own.
 *
 * <p><b>How late am I.</b> Each snapshot that publishes a change stamped by the EndpointSlice
 * controller carries its trigger time ({@link ServiceSnapshot#changeTriggeredAt()}); the latency from
 * it to the table and to each balancer goes to {@link #onProgrammingLatency} listeners.
 */
public final class KDiscovery implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(KDiscovery.class);

  private final EndpointSource source;
  private final EndpointTable table;
  private final String configuredNamespace;
  private final KubernetesClient client;
  private final WatchScope watchScope;
  private final Ticker ticker;
  private final Scheduler scheduler;
  private final Clock clock;
  private final Duration locationWait;
  private final CompletableFuture<Location> location = new CompletableFuture<>();
  private final CopyOnWriteArrayList<ProgrammingLatencyListener> latencyListeners = new CopyOnWriteArrayList<>();
  private volatile boolean locationLateLogged;

  private KDiscovery(Builder builder) {
    this.watchScope = builder.watchScope;
    this.ticker = builder.ticker;
    this.scheduler = builder.scheduler;
    this.source = builder.source != null ? builder.source : source(builder);
    this.configuredNamespace = builder.namespace;
    this.client = builder.client;
    this.clock = builder.clock;
    this.locationWait = builder.locationWait;
    this.table = EndpointTable.builder(source).clock(builder.clock).idleTimeout(builder.idleTimeout)
        .scheduler(builder.scheduler).ticker(builder.ticker).programmingLatencyListener(this::latency).build();
    detectLocation(builder);
  }

  /**
   * Starts finding the location: at once from settings and environment, or on a short-lived daemon
   * thread when the API must be asked (two GETs), so that building never waits on the API server.
   */
  private void detectLocation(Builder builder) {
    LocationDetection detection = new LocationDetection(builder.zone, builder.node,
        builder.environment != null ? builder.environment : System.getenv(),
        builder.namespaceFile != null ? builder.namespaceFile : LocationDetection.NAMESPACE_FILE);
    boolean apiReadable = client != null || source instanceof KubernetesEndpointSource
        || source instanceof AutoEndpointSource;
    if (!apiReadable || !detection.needsApi()) {
      location.complete(detection.detect(null));
      return;
    }
    DaemonThreads.newThread("kdiscovery-location", () -> {
      try {
        location.complete(detection.detect(this::clientForLocation));
      } catch (RuntimeException e) {
        log.warn("kdiscovery: could not find the application's zone and node; picks ignore zone preferences", e);
        location.complete(Location.UNKNOWN);
      }
    }).start();
  }

  private KubernetesClient clientForLocation() {
    if (client != null) {
      return client;
    }
    if (source instanceof KubernetesEndpointSource kubernetes) {
      return kubernetes.client();
    }
    return ((AutoEndpointSource) source).kubernetes().client();
  }

  private static EndpointSource source(Builder builder) {
    if (builder.sourceType == SourceType.DNS) {
      return dns(builder);
    }
    KubernetesEndpointSource.Builder kubernetes = KubernetesEndpointSource.builder().backoff(builder.backoff)
        .scope(builder.watchScope).scheduler(builder.scheduler).ticker(builder.ticker).clock(builder.clock)
        .watchIdleTimeout(builder.watchIdleTimeout);
    if (builder.client != null) {
      kubernetes.client(builder.client);
    }
    if (builder.loopbackEndpoints != null) {
      kubernetes.loopbackEndpoints(builder.loopbackEndpoints);
    }
    if (builder.sourceType == SourceType.AUTO) {
      return new AutoEndpointSource(kubernetes.build(), () -> dns(builder), builder.scheduler, builder.backoff,
          () -> java.util.concurrent.ThreadLocalRandom.current().nextDouble());
    }
    return kubernetes.build();
  }

  private static EndpointSource dns(Builder builder) {
    DnsEndpointSource.Builder dns = builder.dns != null ? builder.dns : DnsEndpointSource.builder();
    if (builder.loopbackEndpoints != null) {
      dns.loopbackEndpoints(builder.loopbackEndpoints);
    }
    return dns.backoff(builder.backoff).build();
  }

  /** kdiscovery on fabric8's standard Kubernetes configuration, with every default. */
  public static KDiscovery create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Opens a hold on a Service port's live table; see {@link EndpointTable#open}. */
  public ServiceHandle open(ServiceKey key) {
    return table.open(key);
  }

  /**
   * Opens a hold on {@code service:port}, {@code service.namespace:port} or
   * {@code service.namespace.svc.cluster.local:port}; a missing namespace is {@link #defaultNamespace()}.
   *
   * @throws IllegalArgumentException naming the accepted forms when {@code target} is none of them
   */
  public ServiceHandle open(String target) {
    return table.open(ServiceKey.parse(target, defaultNamespace()));
  }

  /**
   * Opens {@code target} (see {@link #open(String)}) and binds it to a load balancer built from
   * {@code balancer}: picks always use the latest snapshot.
   */
  public BalancedService balance(String target, LoadBalancer.Builder balancer) {
    return balance(ServiceKey.parse(target, defaultNamespace()), balancer);
  }

  /**
   * Opens {@code key} and binds it to a load balancer built from {@code balancer}, which prefers this
   * instance's {@link #location()} unless it sets its own {@code localZone}/{@code localNode}. May
   * wait for the location, at most the builder's {@link Builder#locationWait} after this instance was
   * built.
   */
  public BalancedService balance(ServiceKey key, LoadBalancer.Builder balancer) {
    Objects.requireNonNull(balancer, "balancer");
    LoadBalancer built = balancer.service(key).defaultLocation(location()).build();
    return new BalancedService(table.open(key), built, this::balancerServing);
  }

  /**
   * Where the application runs: its zone and node as found when this instance was built (see the
   * class comment), or {@link Location#UNKNOWN} parts. Waits for the detection at most {@link
   * Builder#locationWait}; past it, returns {@link Location#UNKNOWN} (logged once) and the detection
   * finishes in the background for later callers.
   */
  public Location location() {
    Location known = location.getNow(null);
    if (known != null) {
      return known;
    }
    try {
      return location.get(locationWait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      if (!locationLateLogged) {
        locationLateLogged = true;
        log.warn("kdiscovery: the zone and node were not found within {} (locationWait); balancers built now"
            + " ignore zone preferences", locationWait);
      }
      return Location.UNKNOWN;
    } catch (ExecutionException e) {
      return Location.UNKNOWN;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Location.UNKNOWN;
    }
  }

  /**
   * Receives every programming-latency measurement of this instance's Services (see {@link
   * ProgrammingLatency}): trigger to table for each published change, and trigger to balancer for each
   * balancer made by {@link #balance} or reported through {@link #balancerServing}. Close the returned
   * subscription to stop.
   */
  public Subscription onProgrammingLatency(ProgrammingLatencyListener listener) {
    Objects.requireNonNull(listener, "listener");
    latencyListeners.add(listener);
    return () -> latencyListeners.remove(listener);
  }

  /**
   * Tells this instance that a balancer of an integration's own (gRPC's policy) now picks from {@code
   * snapshot}, so that its trigger-to-balancer latency is measured; does nothing for a snapshot without
   * a trigger time. Cheap; call it right after the balancer's update.
   */
  public void balancerServing(ServiceSnapshot snapshot) {
    if (!latencyListeners.isEmpty()) {
      ProgrammingLatency measured = ProgrammingLatency.of(snapshot, ProgrammingLatency.Stage.BALANCER, clock.instant());
      if (measured != null) {
        latency(measured);
      }
    }
  }

  private void latency(ProgrammingLatency measured) {
    for (ProgrammingLatencyListener listener : latencyListeners) {
      try {
        listener.onLatency(measured);
      } catch (RuntimeException e) {
        log.warn("programming-latency listener {} threw on {}", listener, measured.service(), e);
      }
    }
  }

  /**
   * A live list of the Services of {@code namespace}, served from a watch of Services (shared with the
   * endpoint watches in {@link WatchScope#NAMESPACE} scope): reading it makes no request. Close it when
   * done.
   *
   * @throws IllegalStateException when endpoints come from DNS or a custom source, which list no
   *     Services
   */
  public ServiceCatalog catalog(String namespace) {
    ServiceKey.of(Objects.requireNonNull(namespace, "namespace"), "any", 1); // checks the name
    return kubernetes("a Service catalog").catalog(namespace);
  }

  /** A live list of the Services of every namespace (needs cluster-wide read access to Services). */
  public ServiceCatalog catalogOfAllNamespaces() {
    return kubernetes("a Service catalog").catalog(null);
  }

  private KubernetesEndpointSource kubernetes(String what) {
    if (source instanceof KubernetesEndpointSource kubernetes) {
      return kubernetes;
    }
    if (source instanceof AutoEndpointSource auto) {
      return auto.kubernetes();
    }
    throw new IllegalStateException(what + " needs the Kubernetes API, and endpoints come from " + source.name());
  }

  /** The watch scope of the Kubernetes source. */
  public WatchScope watchScope() {
    return watchScope;
  }

  /**
   * The namespace of Services named without one: the configured one, else that of the Kubernetes
   * client's configuration, else {@code default}.
   */
  public String defaultNamespace() {
    if (configuredNamespace != null) {
      return configuredNamespace;
    }
    if (source instanceof KubernetesEndpointSource kubernetes) {
      return kubernetes.defaultNamespace();
    }
    if (source instanceof AutoEndpointSource && client != null) {
      return namespaceOf(client);
    }
    return "default";
  }

  private static String namespaceOf(KubernetesClient client) {
    String namespace = client.getNamespace();
    return namespace == null || namespace.isEmpty() ? "default" : namespace;
  }

  /** The name of the source in use: {@code kubernetes}, {@code dns}, or {@code auto} until decided. */
  public String sourceName() {
    return source.name();
  }

  /**
   * The ticker this instance measures elapsed time with, for integrations that keep time-bound state
   * of their own (the OkHttp hooks' idle Services) on the same, injectable time.
   */
  public Ticker ticker() {
    return ticker;
  }

  /** The scheduler this instance runs its timers on; see {@link #ticker()}. */
  public Scheduler scheduler() {
    return scheduler;
  }

  /** The table behind this instance, for diagnostics. */
  public EndpointTable table() {
    return table;
  }

  @Override
  public void close() {
    table.close();
    source.close();
  }

  /** Configures {@link KDiscovery}; not thread-safe. Invalid values fail at once. */
  public static final class Builder {
    private KubernetesClient client;
    private EndpointSource source;
    private String namespace;
    private Clock clock = Clock.systemUTC();
    private Duration idleTimeout = Duration.ZERO;
    private Backoff backoff = Backoff.defaults();
    private SourceType sourceType = SourceType.KUBERNETES;
    private DnsEndpointSource.Builder dns;
    private WatchScope watchScope = WatchScope.NAMESPACE;
    private Scheduler scheduler = Scheduler.system();
    private Ticker ticker = Ticker.system();
    private RoutableAddresses.Loopback loopbackEndpoints; // null: each source's own setting (AUTO by default)
    private String zone;
    private String node;
    private Map<String, String> environment;
    private Path namespaceFile;
    private Duration locationWait = Duration.ofSeconds(2);
    private Duration watchIdleTimeout = KubernetesEndpointSource.DEFAULT_WATCH_IDLE_TIMEOUT;

    private Builder() {}

    /**
     * Whether endpoints at loopback addresses ({@code 127.0.0.0/8}, {@code ::1}) are routed to, by the
     * Kubernetes and the DNS source alike. {@link RoutableAddresses.Loopback#AUTO AUTO}, the default:
     * only when the source itself is local (the API server's URL names a loopback host, or every DNS
     * server is a loopback address), as in a development cluster, the demo and the tests; in a pod,
     * where neither is, an EndpointSlice or DNS record naming {@code 127.0.0.1} would send requests
     * to the application's own machine. {@code ALLOW} or {@code DENY} decide either way. Link-local
     * addresses (the cloud metadata service at {@code 169.254.169.254} included), unspecified and
     * multicast addresses are never routed to, whatever this says. Each address skipped is logged
     * once; see {@link RoutableAddresses} and {@code docs/security.md}.
     */
    public Builder loopbackEndpoints(RoutableAddresses.Loopback loopbackEndpoints) {
      this.loopbackEndpoints = Objects.requireNonNull(loopbackEndpoints, "loopbackEndpoints");
      return this;
    }

    /**
     * The zone the application runs in, instead of detecting it; null (the default) detects it from the
     * node's {@code topology.kubernetes.io/zone} label, else {@code KDISCOVERY_ZONE}.
     */
    public Builder zone(String zone) {
      this.zone = zone == null ? null : new Location(zone, null).zone();
      return this;
    }

    /**
     * The node the application runs on, instead of detecting it; null (the default) detects it from
     * {@code NODE_NAME}, else from the application's own Pod.
     */
    public Builder node(String node) {
      this.node = node == null ? null : new Location(null, node).node();
      return this;
    }

    /**
     * The environment variables the location is detected from ({@code NODE_NAME}, {@code HOSTNAME},
     * {@code POD_NAMESPACE}, {@code KDISCOVERY_ZONE}); the process's by default. For tests and for
     * applications that pass their own.
     */
    public Builder environment(Map<String, String> environment) {
      this.environment = Map.copyOf(Objects.requireNonNull(environment, "environment"));
      return this;
    }

    /**
     * The service account's namespace file, the application's Pod's namespace; {@code
     * /var/run/secrets/kubernetes.io/serviceaccount/namespace} by default.
     */
    public Builder namespaceFile(Path namespaceFile) {
      this.namespaceFile = Objects.requireNonNull(namespaceFile, "namespaceFile");
      return this;
    }

    /**
     * How long {@link KDiscovery#balance} and {@link KDiscovery#location()} wait for the location to be
     * found (two GETs to the API server at start) before going on without it; 2 s by default.
     */
    public Builder locationWait(Duration wait) {
      Objects.requireNonNull(wait, "locationWait");
      if (wait.isNegative()) {
        throw new IllegalArgumentException("locationWait must not be negative: " + wait);
      }
      this.locationWait = wait;
      return this;
    }

    /**
     * What one watch of the Kubernetes API serves: every Service of a namespace ({@link WatchScope#NAMESPACE},
     * the default: two watches per namespace however many Services are opened, and the {@link #catalog}
     * for free), every Service of the cluster ({@link WatchScope#CLUSTER}), or each Service on its own
     * ({@link WatchScope#SERVICE}: holds only the Services opened, for namespaces of thousands of Services
     * of which an application calls few). Measured: 1 000 Services had their first snapshots in 0.2-1.1 s
     * with 15 client threads in namespace scope, in 3-6 s with 2 000 watches in per-Service scope; on the
     * client kdiscovery builds (JDK transport) either scope stays near 12 threads, where a caller's OkHttp
     * client holds a thread per watch; see {@code docs/watch.md} and {@code docs/scale.md}.
     */
    public Builder watchScope(WatchScope watchScope) {
      this.watchScope = Objects.requireNonNull(watchScope, "watchScope");
      return this;
    }

    /** Runs retries, idle timeouts and checks; {@link Scheduler#system()} by default; for tests. */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Measures elapsed time (how long a watch stayed up, how long a table has gone unconfirmed: the
     * staleness the health indicator judges); {@link Ticker#system()} by default, a fake one in tests.
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** Where endpoints come from: the Kubernetes API (the default), cluster DNS, or either. */
    public Builder sourceType(SourceType sourceType) {
      this.sourceType = Objects.requireNonNull(sourceType, "sourceType");
      return this;
    }

    /**
     * How the DNS source is set up (cluster domain, name servers, refresh bounds) when
     * {@link SourceType#DNS} or {@link SourceType#AUTO} uses it; its backoff is this builder's.
     */
    public Builder dns(DnsEndpointSource.Builder dns) {
      this.dns = Objects.requireNonNull(dns, "dns");
      return this;
    }

    /** Reads the Kubernetes API through this client, which stays the caller's to close. */
    public Builder kubernetesClient(KubernetesClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /** Takes endpoints from this source instead of the Kubernetes API; closed with kdiscovery. */
    public Builder source(EndpointSource source) {
      this.source = Objects.requireNonNull(source, "source");
      return this;
    }

    /** The namespace of Services named without one. */
    public Builder namespace(String namespace) {
      // A key in that namespace checks it the same way as every other namespace, with the same message.
      ServiceKey.of(Objects.requireNonNull(namespace, "namespace"), "any", 1);
      this.namespace = namespace;
      return this;
    }

    /** The clock that stamps snapshots and status. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * How long a Service stays watched after its last handle closed; zero by default; checked by
     * {@link #build()}.
     */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = Objects.requireNonNull(idleTimeout, "idleTimeout");
      return this;
    }

    /** How the Kubernetes source waits between attempts while the API server is unreachable. */
    public Builder backoff(Backoff backoff) {
      this.backoff = Objects.requireNonNull(backoff, "backoff");
      return this;
    }

    /**
     * How long a watch of the Kubernetes API may carry neither an event nor a bookmark before it is
     * restarted from its resourceVersion; see {@link KubernetesEndpointSource.Builder#watchIdleTimeout}
     * (30 s by default).
     *
     * @throws IllegalArgumentException unless between 100 ms and 5 minutes
     */
    public Builder watchIdleTimeout(Duration watchIdleTimeout) {
      KubernetesEndpointSource.builder().watchIdleTimeout(watchIdleTimeout); // the same check, at once
      this.watchIdleTimeout = watchIdleTimeout;
      return this;
    }

    public KDiscovery build() {
      if (idleTimeout.isNegative()) {
        throw new IllegalArgumentException("idleTimeout must not be negative: " + idleTimeout);
      }
      if (source != null && (client != null || sourceType != SourceType.KUBERNETES || dns != null)) {
        throw new IllegalStateException(
            "a custom source excludes kubernetesClient, sourceType and dns: set one or the other");
      }
      if (sourceType == SourceType.DNS && client != null) {
        throw new IllegalStateException("sourceType DNS reads no Kubernetes API: drop the kubernetesClient");
      }
      return new KDiscovery(this);
    }
  }
}
