package io.kdiscovery.source.dns;

import io.kdiscovery.model.RoutableAddresses;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.time.DaemonThreads;
import io.kdiscovery.time.Scheduler;
import io.kdiscovery.time.Ticker;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Name;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;

/**
 * An {@link EndpointSource} that reads a headless Service's endpoints from cluster DNS, for
 * applications that may not read the Kubernetes API: it needs no RBAC permission at all.
 *
 * <p>Thread-safe: one source serves any number of watches from any threads. Its lookups are
 * asynchronous (dnsjava, not the JDK resolver, which can read neither SRV records nor TTLs) and are
 * handled on one thread of the source's own, {@code kdiscovery-dns-N} (daemon, ended by
 * {@link #close()}), however many Services it watches, or on the executor given to
 * {@link Builder#executor}; listeners are called there, serially per watch, and must not block it.
 * When to query again is kept by a {@link Scheduler} (the library's shared timer thread unless
 * {@link Builder#scheduler} says otherwise), and ages are read from a {@link Ticker}; tests inject
 * fake ones to run refreshes, retries and staleness on fake time.
 *
 * <p>What is queried, always as an absolute name so no search list or {@code ndots} applies:
 * <ul>
 *   <li>A port given by <b>name</b> ({@code ServiceKey.of("default", "web", "http")}): the SRV records
 *       {@code _http._tcp.web.default.svc.cluster.local.}, as cluster DNS publishes them for every
 *       named port of a headless Service. Port, priority and weight come from the records; only the
 *       records with the lowest priority value are used (the others are fallbacks; cluster DNS gives
 *       all the same priority); the weight becomes {@link io.kdiscovery.model.Endpoint#weight()} (at
 *       least 1); the target ({@code web-0.web.default.svc.cluster.local} for a StatefulSet pod) is
 *       resolved to its addresses and kept as the endpoint's hostname.
 *   <li>A port given by <b>number</b>: the A and AAAA records of {@code web.default.svc.cluster.local.},
 *       one endpoint per address. DNS cannot map a Service port to the pods' target port, so the
 *       number is taken as the <em>pods'</em> port; use a named port to learn it from SRV records.
 * </ul>
 *
 * <p><b>Every address is ready.</b> DNS carries no endpoint conditions: cluster DNS publishes only
 * ready pods (unless the Service sets {@code publishNotReadyAddresses}), so every endpoint has
 * {@link io.kdiscovery.model.EndpointConditions#READY}, no zone, node or pod name, and the
 * Service's settings are {@link io.kdiscovery.model.ServiceInfo#UNKNOWN} (no session affinity, no
 * traffic distribution). Changes are seen when records expire, not pushed.
 *
 * <p>Refresh and failures: a watch queries again when the answer's shortest TTL has passed, clamped
 * to {@link Builder#minRefresh} and {@link Builder#maxRefresh} and stretched by up to
 * {@link Builder#jitter} of itself so a fleet of clients does not query in lockstep. NXDOMAIN is a
 * state ({@code serviceFound == false}); NOERROR without records is an empty state. SERVFAIL,
 * REFUSED, timeouts, unreachable servers and malformed or truncated answers are failures
 * ({@link Listener#onFailure}): the last state stays valid and the query is retried with
 * {@link Builder#backoff}. The next answer after a failure is always delivered, changed or not.
 * Records that cannot be used (an unspecified or multicast address, an SRV record with target
 * {@code .}) are skipped with a log line; an answer with records of which none can be used is a
 * failure too, since it is no evidence that the Service lost its pods.
 *
 * <pre>{@code
 * DnsEndpointSource dns = DnsEndpointSource.builder()
 *     .clusterDomain("cluster.local")      // the default
 *     .build();                            // name servers from /etc/resolv.conf
 * }</pre>
 */
public final class DnsEndpointSource implements EndpointSource {

  private static final Logger log = LoggerFactory.getLogger(DnsEndpointSource.class);
  private static final Pattern DOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Pattern PROTOCOL = Pattern.compile("[a-z][a-z0-9]*");
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final DnsLookup lookup;
  private final RefreshSchedule schedule;
  private final Scheduler scheduler;
  private final Executor executor;
  private final ExecutorService ownExecutor; // null when the executor was passed in
  private final Ticker ticker;
  private final DoubleSupplier random;
  private final Set<DnsWatch> watches = ConcurrentHashMap.newKeySet();
  private final String description;
  private final RoutableAddresses routable;
  private volatile boolean closed;

  private DnsEndpointSource(Builder b, List<InetSocketAddress> servers, Name domain) {
    this.ownExecutor = b.executor == null ? ownExecutor() : null;
    this.executor = b.executor == null ? ownExecutor : b.executor;
    this.scheduler = b.scheduler;
    this.ticker = b.ticker;
    this.random = b.random;
    this.schedule = new RefreshSchedule(b.minRefresh, b.maxRefresh, b.jitter, b.backoff);
    // The source is local when every name server is on this machine (a development set-up, the tests).
    boolean local = servers.stream().allMatch(s -> s.getAddress() != null && s.getAddress().isLoopbackAddress());
    this.routable = RoutableAddresses.of(b.loopback, local);
    this.lookup = new DnsLookup(resolver(servers, b.queryTimeout), domain, b.srvProtocol, executor, routable);
    this.description = "DnsEndpointSource[servers=" + servers + ", domain=" + domain
        + ", timeout=" + b.queryTimeout + ", " + schedule + ", " + routable + "]";
    log.info("dns: source started: {}", description);
  }

  /** A builder with the defaults: cluster domain {@code cluster.local}, name servers of /etc/resolv.conf. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String name() {
    return "dns";
  }

  /** Starts querying at once; the first result arrives on the source's thread (or executor). */
  @Override
  public Watch watch(ServiceKey key, Listener listener) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(listener, "listener");
    if (closed) {
      throw new IllegalStateException("DnsEndpointSource is closed");
    }
    String queried;
    try {
      queried = (key.hasPortNumber() ? lookup.serviceName(key) : lookup.srvName(key)).toString();
    } catch (TextParseException e) {
      throw new IllegalArgumentException("no DNS name for " + key + ": " + e.getMessage(), e);
    }
    DnsWatch watch = new DnsWatch(key, queried, listener, lookup, schedule,
        new DnsWatch.Timing(scheduler, executor, ticker, random), watches::remove);
    watches.add(watch);
    if (closed) { // closed while this watch was being added
      watch.close();
      throw new IllegalStateException("DnsEndpointSource is closed");
    }
    watch.start();
    return watch;
  }

  /**
   * Closes every watch (their pending refreshes are cancelled) and ends the source's thread, unless
   * an executor was passed in, which is then left running. Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    for (DnsWatch watch : new ArrayList<>(watches)) {
      watch.close();
    }
    if (ownExecutor != null) {
      ownExecutor.shutdownNow();
      try {
        if (!ownExecutor.awaitTermination(5, TimeUnit.SECONDS)) {
          log.warn("dns: thread of {} did not stop within 5 s", description);
        }
      } catch (InterruptedException e) {
        log.warn("dns: interrupted while waiting for the thread of {} to stop", description);
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public String toString() {
    return description;
  }

  /** One thread: lookups never block it (dnsjava's I/O is asynchronous), so one is enough. */
  private static ExecutorService ownExecutor() {
    return new ThreadPoolExecutor(1, 1, 0, TimeUnit.NANOSECONDS, new LinkedBlockingQueue<>(),
        task -> DaemonThreads.newThread("kdiscovery-dns-" + THREADS.incrementAndGet(), task));
  }

  private static Resolver resolver(List<InetSocketAddress> servers, Duration timeout) {
    List<Resolver> resolvers = new ArrayList<>();
    for (InetSocketAddress server : servers) {
      SimpleResolver r = new SimpleResolver(server);
      r.setTimeout(timeout);
      r.setEDNS(0, 1232, 0, List.of()); // answers with many pods fit in UDP; larger ones go to TCP
      resolvers.add(r);
    }
    if (resolvers.size() == 1) {
      return resolvers.get(0);
    }
    ExtendedResolver extended = new ExtendedResolver(resolvers);
    extended.setRetries(1); // each server once per lookup; the watch retries with backoff
    extended.setTimeout(timeout.multipliedBy(resolvers.size()));
    return extended;
  }

  /**
   * Configures a {@link DnsEndpointSource}; {@link #build()} checks every setting. Not thread-safe.
   */
  public static final class Builder {
    private String clusterDomain = "cluster.local";
    private List<InetSocketAddress> nameServers;
    private Duration queryTimeout = Duration.ofSeconds(2);
    private Duration minRefresh = Duration.ofSeconds(1);
    private Duration maxRefresh = Duration.ofSeconds(30);
    private double jitter = 0.1;
    private Backoff backoff = Backoff.defaults();
    private String srvProtocol = "tcp";
    private Executor executor;
    private Scheduler scheduler = Scheduler.system();
    private Ticker ticker = Ticker.system();
    private RoutableAddresses.Loopback loopback = RoutableAddresses.Loopback.AUTO;
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();

    private Builder() {}

    /** The cluster's DNS domain; {@code cluster.local} unless the cluster was set up otherwise. */
    public Builder clusterDomain(String clusterDomain) {
      this.clusterDomain = Objects.requireNonNull(clusterDomain, "clusterDomain");
      return this;
    }

    /** One name server (an IP address and port, e.g. {@code 127.0.0.1:5353}) instead of /etc/resolv.conf's. */
    public Builder nameServer(InetSocketAddress nameServer) {
      return nameServers(List.of(Objects.requireNonNull(nameServer, "nameServer")));
    }

    /**
     * Name servers (IP address and port), by default those of /etc/resolv.conf. A server that does not
     * answer (timeout, unreachable) is skipped for the next; an error answer such as SERVFAIL fails
     * the lookup, which is retried with {@link #backoff}.
     */
    public Builder nameServers(List<InetSocketAddress> nameServers) {
      this.nameServers = List.copyOf(nameServers);
      return this;
    }

    /**
     * Whether answers at loopback addresses become endpoints: {@link RoutableAddresses.Loopback#AUTO}
     * (the default) only when every name server is a loopback address; link-local (the cloud metadata
     * address included), unspecified and multicast addresses never do. See {@link RoutableAddresses}.
     */
    public Builder loopbackEndpoints(RoutableAddresses.Loopback loopback) {
      this.loopback = Objects.requireNonNull(loopback, "loopback");
      return this;
    }

    /** How long to wait for one server's answer; 2 s by default. */
    public Builder queryTimeout(Duration queryTimeout) {
      this.queryTimeout = Objects.requireNonNull(queryTimeout, "queryTimeout");
      return this;
    }

    /** The shortest time between two queries of a watch, whatever the TTL; 1 s by default. */
    public Builder minRefresh(Duration minRefresh) {
      this.minRefresh = Objects.requireNonNull(minRefresh, "minRefresh");
      return this;
    }

    /** The longest time a TTL may postpone the next query (before jitter); 30 s by default. */
    public Builder maxRefresh(Duration maxRefresh) {
      this.maxRefresh = Objects.requireNonNull(maxRefresh, "maxRefresh");
      return this;
    }

    /** The largest share (0-1) by which a refresh is randomly postponed; 0.1 by default. */
    public Builder jitter(double jitter) {
      this.jitter = jitter;
      return this;
    }

    /** The delays between retries after failures; {@link Backoff#defaults()} by default. */
    public Builder backoff(Backoff backoff) {
      this.backoff = Objects.requireNonNull(backoff, "backoff");
      return this;
    }

    /** The protocol label of SRV names, {@code _<port>._<protocol>}; {@code tcp} by default. */
    public Builder srvProtocol(String srvProtocol) {
      this.srvProtocol = Objects.requireNonNull(srvProtocol, "srvProtocol");
      return this;
    }

    /**
     * Handles answers and calls listeners on this executor instead of a thread of the source's own;
     * {@link DnsEndpointSource#close()} then leaves it running. It may have several threads: each
     * watch hands its work over one task at a time. Its tasks never block.
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * When refreshes and retries fall due; {@link Scheduler#system()} by default. It only hands the
     * work over to the source's thread (or {@link #executor}).
     */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * The clock for the age of the last answer (in failure reasons); the system ticker by default.
     * Give the same clock as the {@link #scheduler}'s.
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** Uniform values in [0, 1) for the jitter of refreshes and retries; for tests. */
    Builder random(DoubleSupplier random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the setting that is invalid
     * @throws IllegalStateException when no name server is set and /etc/resolv.conf lists none
     */
    public DnsEndpointSource build() {
      String domain = clusterDomain.endsWith(".")
          ? clusterDomain.substring(0, clusterDomain.length() - 1) : clusterDomain;
      if (domain.length() > 200 || !DOMAIN.matcher(domain).matches()) {
        throw new IllegalArgumentException("clusterDomain must be a DNS domain of lower case labels,"
            + " such as cluster.local: '" + clusterDomain + "'");
      }
      Name domainName;
      try {
        domainName = Name.fromString(domain + ".");
      } catch (TextParseException e) {
        throw new IllegalArgumentException("clusterDomain is not a DNS name: '" + clusterDomain + "'", e);
      }
      checkPositive("queryTimeout", queryTimeout);
      checkPositive("minRefresh", minRefresh);
      if (maxRefresh.compareTo(minRefresh) < 0) {
        throw new IllegalArgumentException(
            "maxRefresh " + maxRefresh + " is below minRefresh " + minRefresh);
      }
      if (!(jitter >= 0 && jitter <= 1)) {
        throw new IllegalArgumentException("jitter must be between 0 and 1: " + jitter);
      }
      if (!PROTOCOL.matcher(srvProtocol).matches()) {
        throw new IllegalArgumentException(
            "srvProtocol must be a lower case label such as tcp or udp: '" + srvProtocol + "'");
      }
      List<InetSocketAddress> servers = nameServers;
      if (servers == null) {
        servers = ResolverConfig.getCurrentConfig().servers();
        if (servers.isEmpty()) {
          throw new IllegalStateException(
              "no name server in /etc/resolv.conf; set one with DnsEndpointSource.Builder.nameServer");
        }
      }
      if (servers.isEmpty()) {
        throw new IllegalArgumentException("nameServers must not be empty");
      }
      for (InetSocketAddress server : servers) {
        if (server.isUnresolved() || server.getPort() == 0) {
          throw new IllegalArgumentException(
              "a name server needs an IP address and a port 1-65535: " + server);
        }
      }
      return new DnsEndpointSource(this, servers, domainName);
    }

    private static void checkPositive(String what, Duration value) {
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(what + " must be positive: " + value);
      }
    }
  }
}
