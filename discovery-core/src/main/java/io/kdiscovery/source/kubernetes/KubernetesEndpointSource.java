package io.kdiscovery.source.kubernetes;

import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.RequestConfig;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import io.kdiscovery.WatchScope;
import io.kdiscovery.catalog.ServiceCatalog;
import io.kdiscovery.model.RoutableAddresses;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.FailureKind;
import io.kdiscovery.time.DaemonThreads;
import io.kdiscovery.time.Scheduler;
import io.kdiscovery.time.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Endpoints from the Kubernetes API: watches Services and their EndpointSlices (or {@code v1/Endpoints}
 * where slices are unavailable) and reports every change of a watched Service port as a complete state.
 *
 * <p>Thread-safe. {@link #watch} never blocks. One watch serves every port and handle of a Service
 * ({@link WatchScope#SERVICE}), or every Service of a namespace ({@link WatchScope#NAMESPACE}) or of the
 * cluster ({@link WatchScope#CLUSTER}). The client is by default built on first use from fabric8's
 * standard configuration (in-cluster service account, {@code KUBECONFIG} or {@code ~/.kube/config},
 * the {@code kubernetes.master} and {@code kubernetes.namespace} system properties) and closed with the
 * source; a client passed to {@link Builder#client} stays the caller's to close, but every watch this
 * source opened on it is closed by {@link #close()}.
 *
 * <p>Threads: a bounded pool of {@value #IO_THREADS} daemon threads makes the blocking API calls (so
 * the first lists of a thousand Services are paced rather than fired at once into the client's
 * per-host limit), and {@value #SERIAL_THREADS} run the watch groups' serial contexts; both pools let
 * idle threads go. Timers run on the injected {@link Scheduler}.
 *
 * <p>Needs {@code get, list, watch} on {@code endpointslices.discovery.k8s.io} and {@code services}
 * in the watched namespaces ({@code endpoints} instead of slices on old clusters).
 */
public final class KubernetesEndpointSource implements EndpointSource {

  private static final Logger log = LoggerFactory.getLogger(KubernetesEndpointSource.class);
  static final int IO_THREADS = 4;
  static final int SERIAL_THREADS = 2;
  /** The default {@link Builder#watchIdleTimeout}. */
  public static final Duration DEFAULT_WATCH_IDLE_TIMEOUT = Duration.ofSeconds(30);

  private final Supplier<KubernetesClient> clientFactory;
  private final boolean ownsClient;
  private final WatchScope scope;
  private final RoutableAddresses.Loopback loopback;
  private final Runtime runtime;
  private final Object lock = new Object();
  private final Map<WatchGroup.GroupKey, Held> groups = new HashMap<>(); // guarded by lock
  private KubernetesClient client; // guarded by lock; the caller's, or built on first use
  private KubernetesClient watchClient; // guarded by lock
  private boolean closed; // guarded by lock

  private KubernetesEndpointSource(Builder builder) {
    this.ownsClient = builder.client == null;
    KubernetesClient given = builder.client;
    io.fabric8.kubernetes.client.Config ownConfig = builder.ownClientConfig;
    this.clientFactory = given != null ? () -> given
        : ownConfig != null ? () -> DefaultClient.build(ownConfig) : DefaultClient::build;
    this.scope = builder.scope;
    this.loopback = builder.loopback;
    this.runtime = new Runtime(pool(IO_THREADS, "kdiscovery-k8s-io"), pool(SERIAL_THREADS, "kdiscovery-k8s-serial"),
        pool(2, "kdiscovery-catalog-listener"), builder.scheduler, builder.ticker, builder.clock, builder.backoff,
        builder.random, builder.watchIdleTimeout);
  }

  private static ThreadPoolExecutor pool(int threads, String name) {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 10, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), DaemonThreads.factory(name), new ThreadPoolExecutor.DiscardPolicy());
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** A source on fabric8's standard configuration, with default backoff, in namespace scope. */
  public static KubernetesEndpointSource create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String name() {
    return "kubernetes";
  }

  /** The scope this source watches in. */
  public WatchScope scope() {
    return scope;
  }

  @Override
  public Watch watch(ServiceKey key, Listener listener) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(listener, "listener");
    WatchGroup.GroupKey groupKey = switch (scope) {
      case SERVICE -> new WatchGroup.GroupKey(key.namespace(), key.name());
      case NAMESPACE -> new WatchGroup.GroupKey(key.namespace(), null);
      case CLUSTER -> new WatchGroup.GroupKey(null, null);
    };
    WatchGroup group = acquire(groupKey);
    PortView view = new PortView(key, listener, group, new OnceLog(LoggerFactory.getLogger(PortView.class)),
        routableAddresses(), micros(runtime.clock().instant()));
    group.add(view);
    return new Watch() {
      private final java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();

      @Override
      public void close() {
        if (done.compareAndSet(false, true)) {
          view.close();
          release(groupKey);
        }
      }
    };
  }

  private static long micros(java.time.Instant now) {
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  /**
   * A live list of the Services of {@code namespace} (null: of every namespace), from a watch of
   * Services shared with the endpoint watches of that scope. Never blocks.
   */
  public ServiceCatalog catalog(String namespace) {
    WatchGroup.GroupKey groupKey = new WatchGroup.GroupKey(namespace, null);
    if (namespace != null && scope == WatchScope.CLUSTER) {
      groupKey = new WatchGroup.GroupKey(null, null); // the cluster watch already holds every Service
    }
    WatchGroup.GroupKey held = groupKey;
    WatchGroup group = acquire(held);
    KubernetesCatalog[] created = new KubernetesCatalog[1];
    created[0] = new KubernetesCatalog(namespace, runtime.clock(), runtime.catalogListeners(), () -> {
      group.remove(created[0]);
      release(held);
    });
    group.add(created[0]);
    return created[0];
  }

  /** The address rule for this source's endpoints: is the API server itself on a loopback host? */
  private RoutableAddresses routableAddresses() {
    java.net.URL url = client().getMasterUrl();
    return RoutableAddresses.of(loopback, url != null && RoutableAddresses.isLoopbackHost(url.getHost()));
  }

  private WatchGroup acquire(WatchGroup.GroupKey groupKey) {
    KubernetesClient through = watchClient();
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("the Kubernetes endpoint source is closed");
      }
      Held held = groups.get(groupKey);
      if (held == null) {
        held = new Held(new WatchGroup(groupKey, through, runtime));
        groups.put(groupKey, held);
        held.group.start();
      }
      held.users++;
      return held.group;
    }
  }

  private void release(WatchGroup.GroupKey groupKey) {
    synchronized (lock) {
      Held held = groups.get(groupKey);
      if (held == null || --held.users > 0) {
        return;
      }
      groups.remove(groupKey);
      held.group.close();
    }
  }

  /** How many watch groups are open; for tests of sharing. */
  int openGroups() {
    synchronized (lock) {
      return groups.size();
    }
  }

  /** How many watches are open on the API server now; for tests of leaks. */
  int openWatches() {
    return runtime.openWatches.size();
  }

  /**
   * Whether this application may list the EndpointSlices of {@code namespace}: one small request,
   * made without retries. False when the API answers anything but success, including a transient
   * error; {@link #endpointSliceAccess} says which. Blocks for that request.
   */
  public boolean canReadEndpointSlices(String namespace) {
    return endpointSliceAccess(namespace).readable();
  }

  /**
   * Asks once whether this application may list the EndpointSlices of {@code namespace}: one small
   * request, made without retries, whose answer is typed from the HTTP status code. Only 401 and 403
   * deny access ({@link SliceAccess#denied()}); a 429, a 5xx, a timeout or an unreachable server is a
   * transient answer to ask again about, after {@link SliceAccess#retryAfter()} if the server named
   * one. Blocks for that request; thread-safe.
   */
  public SliceAccess endpointSliceAccess(String namespace) {
    Objects.requireNonNull(namespace, "namespace");
    try {
      watchClient().discovery().v1().endpointSlices().inNamespace(namespace)
          .list(new ListOptionsBuilder().withLimit(1L).build());
      return new SliceAccess(FailureKind.NONE, Duration.ZERO, "readable");
    } catch (RuntimeException e) {
      FailureKind kind = Failures.kind(e);
      String detail = "cannot list EndpointSlices in namespace " + namespace + ": " + runtime.describe(e)
          + (kind.deniesAccess() ? ". " + WatchGroup.rbacHint("endpointslices", "discovery.k8s.io", namespace) : "");
      log.debug("kubernetes: {}", detail);
      return new SliceAccess(kind, Failures.retryAfter(e).orElse(Duration.ZERO), detail);
    }
  }

  /**
   * The answer to {@link #endpointSliceAccess}: readable, denied (401/403), or a transient failure.
   *
   * @param failure {@link FailureKind#NONE} when readable
   * @param retryAfter how long the API server asked to wait (its {@code Retry-After}), or zero
   * @param detail one line for the log: the root cause, the API server and, when denied, the rule to grant
   */
  public record SliceAccess(FailureKind failure, Duration retryAfter, String detail) {
    public SliceAccess {
      Objects.requireNonNull(failure, "failure");
      Objects.requireNonNull(retryAfter, "retryAfter");
      Objects.requireNonNull(detail, "detail");
    }

    public boolean readable() {
      return failure == FailureKind.NONE;
    }

    /** 401 or 403: the application may not read EndpointSlices. */
    public boolean denied() {
      return failure.deniesAccess();
    }
  }

  /** The namespace of the client's configuration, {@code default} when it names none. */
  public String defaultNamespace() {
    String namespace = client().getNamespace();
    return namespace == null || namespace.isEmpty() ? "default" : namespace;
  }

  /** The client this source reads through, building the default one if needed. */
  public KubernetesClient client() {
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("the Kubernetes endpoint source is closed");
      }
      if (client == null) {
        client = clientFactory.get();
        runtime.apiUrl = String.valueOf(client.getMasterUrl());
      }
      return client;
    }
  }

  /**
   * A view of the client that never retries by itself: no watch reconnects and no request retries,
   * so that a failure reaches {@link ResourceFeed} at once, which reports it and retries with
   * jittered backoff. It shares the client's connections and must not be closed on its own.
   */
  private KubernetesClient watchClient() {
    KubernetesClient base = client();
    synchronized (lock) {
      if (watchClient == null) {
        RequestConfig requestConfig = new RequestConfigBuilder(base.getConfiguration().getRequestConfig())
            .withWatchReconnectLimit(0)
            .withRequestRetryBackoffLimit(0)
            .build();
        watchClient = base.newClient(requestConfig).adapt(KubernetesClient.class);
      }
      return watchClient;
    }
  }

  @Override
  public void close() {
    KubernetesClient closing;
    List<Held> open;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      closing = ownsClient ? client : null;
      // Let go of the clients: the JDK 17 HttpClient's selector thread ends only once its client is
      // unreachable, and a closed source may stay referenced (a field, a Spring context being closed).
      client = null;
      watchClient = null;
      open = new ArrayList<>(groups.values());
      groups.clear();
    }
    open.forEach(held -> held.group.close());
    // Close every watch here, on this thread: work queued on the pools may never run once they stop.
    runtime.closeAll();
    runtime.io().shutdown();
    runtime.serialPool().shutdown();
    runtime.catalogListeners().shutdown();
    try {
      runtime.io().awaitTermination(2, TimeUnit.SECONDS);
      runtime.serialPool().awaitTermination(1, TimeUnit.SECONDS); // the groups' close tasks let go of their state
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    runtime.io().shutdownNow();
    runtime.serialPool().shutdownNow();
    runtime.closeAll(); // a watch that finished opening meanwhile
    if (closing != null) {
      closing.close();
    }
  }

  private static final class Held {
    final WatchGroup group;
    int users;

    Held(WatchGroup group) {
      this.group = group;
    }
  }

  /** What every watch group of this source shares. Thread-safe. */
  static final class Runtime {
    private final ThreadPoolExecutor io;
    private final ThreadPoolExecutor serialPool;
    private final ThreadPoolExecutor catalogListeners;
    private final Scheduler scheduler;
    private final Ticker ticker;
    private final Clock clock;
    private final Backoff backoff;
    private final DoubleSupplier random;
    private final Duration watchIdleTimeout;
    private final Set<io.fabric8.kubernetes.client.Watch> openWatches = ConcurrentHashMap.newKeySet();
    private final OnceLog warnings = new OnceLog(log);
    private volatile boolean closed;
    volatile String apiUrl = "?";

    Runtime(ThreadPoolExecutor io, ThreadPoolExecutor serialPool, ThreadPoolExecutor catalogListeners,
        Scheduler scheduler, Ticker ticker, Clock clock, Backoff backoff, DoubleSupplier random,
        Duration watchIdleTimeout) {
      this.io = io;
      this.serialPool = serialPool;
      this.catalogListeners = catalogListeners;
      this.scheduler = scheduler;
      this.ticker = ticker;
      this.clock = clock;
      this.backoff = backoff;
      this.random = random;
      this.watchIdleTimeout = watchIdleTimeout;
    }

    /** A watch with neither an event nor a bookmark for this long is restarted (see {@link ResourceFeed}). */
    Duration watchIdleTimeout() {
      return watchIdleTimeout;
    }

    ThreadPoolExecutor io() {
      return io;
    }

    ThreadPoolExecutor serialPool() {
      return serialPool;
    }

    ThreadPoolExecutor catalogListeners() {
      return catalogListeners;
    }

    Executor catalogListenerExecutor() {
      return catalogListeners;
    }

    Scheduler scheduler() {
      return scheduler;
    }

    Ticker ticker() {
      return ticker;
    }

    Clock clock() {
      return clock;
    }

    Backoff backoff() {
      return backoff;
    }

    DoubleSupplier random() {
      return random;
    }

    /** A watch opened on the server: tracked until closed, and closed at once if the source is. */
    void opened(io.fabric8.kubernetes.client.Watch watch) {
      openWatches.add(watch);
      if (closed) {
        close(watch);
      }
    }

    void forget(io.fabric8.kubernetes.client.Watch watch) {
      if (watch != null) {
        openWatches.remove(watch);
      }
    }

    void close(io.fabric8.kubernetes.client.Watch watch) {
      openWatches.remove(watch);
      try {
        watch.close();
      } catch (RuntimeException e) {
        log.debug("kubernetes: closing a watch failed", e);
      }
    }

    void closeAll() {
      closed = true;
      for (io.fabric8.kubernetes.client.Watch watch : List.copyOf(openWatches)) {
        close(watch);
      }
    }

    /** The failure's root cause and the API server, in one line. */
    String describe(Throwable e) {
      return Failures.describe(e) + " (API server " + apiUrl + ")";
    }

    void warnOnce(String message) {
      synchronized (warnings) {
        warnings.warn(message);
      }
    }

    void infoOnce(String message) {
      synchronized (warnings) {
        warnings.info(message);
      }
    }
  }

  /** Configures a {@link KubernetesEndpointSource}; not thread-safe. */
  public static final class Builder {
    private KubernetesClient client;
    private Backoff backoff = Backoff.defaults();
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    private WatchScope scope = WatchScope.NAMESPACE;
    private Scheduler scheduler = Scheduler.system();
    private Ticker ticker = Ticker.system();
    private Clock clock = Clock.systemUTC();
    private RoutableAddresses.Loopback loopback = RoutableAddresses.Loopback.AUTO;
    private Duration watchIdleTimeout = DEFAULT_WATCH_IDLE_TIMEOUT;
    private Supplier<String> fabric8Version = Fabric8Version::onClasspath;
    private io.fabric8.kubernetes.client.Config ownClientConfig;

    private Builder() {}

    /**
     * How long a watch may carry neither an event nor a bookmark before it is restarted from its
     * resourceVersion (no relist); if the restart is not answered within this bound (at most 10 s),
     * the status leaves SYNCED with {@link io.kdiscovery.source.FailureKind#SILENT}. This notices a
     * connection that a NAT or a load balancer dropped without closing it, with any client, pings or
     * none. 30 s by default: a change made meanwhile reaches the table within about 40 s. A quiet
     * watch costs one resumed watch (served from the API server's watch cache) per bound; raise it
     * above the API server's bookmark period (about 60 s) to avoid that on clusters with very many
     * quiet watches. See docs/watch.md.
     *
     * @throws IllegalArgumentException unless between 100 ms and 5 minutes (the shortest
     *     {@code timeoutSeconds} the server is asked for, which ends every watch anyway)
     */
    public Builder watchIdleTimeout(Duration watchIdleTimeout) {
      Objects.requireNonNull(watchIdleTimeout, "watchIdleTimeout");
      if (watchIdleTimeout.compareTo(Duration.ofMillis(100)) < 0
          || watchIdleTimeout.compareTo(WatchGroup.MIN_WATCH_TIMEOUT) > 0) {
        throw new IllegalArgumentException("watchIdleTimeout must be between 100 ms and "
            + WatchGroup.MIN_WATCH_TIMEOUT.toMinutes() + " minutes: " + watchIdleTimeout);
      }
      this.watchIdleTimeout = watchIdleTimeout;
      return this;
    }

    /** Reads through this client, which stays the caller's to close. */
    public Builder client(KubernetesClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /** How long to wait between attempts while the API server cannot be reached. */
    public Builder backoff(Backoff backoff) {
      this.backoff = Objects.requireNonNull(backoff, "backoff");
      return this;
    }

    /** What one watch serves: a namespace (the default), a Service, or the cluster. */
    public Builder scope(WatchScope scope) {
      this.scope = Objects.requireNonNull(scope, "scope");
      return this;
    }

    /** Runs retries and checks; {@link Scheduler#system()} by default. */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** Measures how long a watch stayed up; {@link Ticker#system()} by default. */
    /**
     * Whether endpoints at loopback addresses are routed to: {@link RoutableAddresses.Loopback#AUTO}
     * (the default) only when the API server's URL names a loopback host; link-local (the cloud
     * metadata address included), unspecified and multicast addresses never are. See {@link
     * RoutableAddresses}.
     */
    public Builder loopbackEndpoints(RoutableAddresses.Loopback loopback) {
      this.loopback = Objects.requireNonNull(loopback, "loopback");
      return this;
    }

    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** Stamps the catalogs' snapshots and status. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The random source of the backoff's jitter; for tests. */
    Builder random(DoubleSupplier random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Builds (and closes) the library's own client, as when no client is passed, but on this
     * configuration instead of fabric8's standard one; for tests of that client.
     */
    Builder ownClientConfig(io.fabric8.kubernetes.client.Config config) {
      this.ownClientConfig = Objects.requireNonNull(config, "config");
      return this;
    }

    /** Where the fabric8 version on the classpath is read; for tests of the start-up check. */
    Builder fabric8Version(Supplier<String> fabric8Version) {
      this.fabric8Version = Objects.requireNonNull(fabric8Version, "fabric8Version");
      return this;
    }

    /**
     * @throws IllegalStateException when the fabric8 client on the classpath is not the one kdiscovery
     *     was built against (same major, same or later minor); the message names the fix in one line
     */
    public KubernetesEndpointSource build() {
      Fabric8Version.check(fabric8Version);
      return new KubernetesEndpointSource(this);
    }
  }
}
