package io.kdiscovery;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.catalog.ServiceCatalog;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.dns.DnsEndpointSource;
import io.kdiscovery.source.kubernetes.KubernetesEndpointSource;
import io.kdiscovery.table.EndpointTable;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.time.Scheduler;
import io.kdiscovery.time.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

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
 */
public final class KDiscovery implements AutoCloseable {

  private final EndpointSource source;
  private final EndpointTable table;
  private final String configuredNamespace;
  private final KubernetesClient client;
  private final WatchScope watchScope;

  private KDiscovery(Builder builder) {
    this.watchScope = builder.watchScope;
    this.source = builder.source != null ? builder.source : source(builder);
    this.configuredNamespace = builder.namespace;
    this.client = builder.client;
    this.table = EndpointTable.builder(source).clock(builder.clock).idleTimeout(builder.idleTimeout)
        .scheduler(builder.scheduler).build();
  }

  private static EndpointSource source(Builder builder) {
    if (builder.sourceType == SourceType.DNS) {
      return dns(builder);
    }
    KubernetesEndpointSource.Builder kubernetes = KubernetesEndpointSource.builder().backoff(builder.backoff)
        .scope(builder.watchScope).scheduler(builder.scheduler).ticker(builder.ticker).clock(builder.clock);
    if (builder.client != null) {
      kubernetes.client(builder.client);
    }
    if (builder.sourceType == SourceType.AUTO) {
      return new AutoEndpointSource(kubernetes.build(), () -> dns(builder));
    }
    return kubernetes.build();
  }

  private static EndpointSource dns(Builder builder) {
    DnsEndpointSource.Builder dns = builder.dns != null ? builder.dns : DnsEndpointSource.builder();
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

  /** Opens {@code key} and binds it to a load balancer built from {@code balancer}. */
  public BalancedService balance(ServiceKey key, LoadBalancer.Builder balancer) {
    Objects.requireNonNull(balancer, "balancer");
    LoadBalancer built = balancer.service(key).build();
    return new BalancedService(table.open(key), built);
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

    private Builder() {}

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

    /** Measures elapsed time (how long a watch stayed up); {@link Ticker#system()} by default. */
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
