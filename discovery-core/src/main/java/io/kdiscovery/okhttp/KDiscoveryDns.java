package io.kdiscovery.okhttp;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.SnapshotTimeoutException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import okhttp3.Dns;

/**
 * An {@link Dns} that answers the names of cluster Services from kdiscovery's live table instead of
 * cluster DNS: {@code hostnames.default.svc.cluster.local} (and {@code hostnames.default.svc},
 * {@code hostnames.default}, {@code hostnames}, as a pod's resolver completes them) resolves to the
 * addresses of the Service's usable pods at this moment, with no DNS cache TTL in between. Every other
 * name goes to the fallback, {@link Dns#SYSTEM} by default.
 *
 * <p>Thread-safe; {@link #lookup} blocks only on a Service's first use, for at most
 * {@link Builder#initialWait} while its table fills. A host name is outside input, so what it opens is
 * bounded: each Service resolved keeps its table open (one shared watch per Service) until it has not
 * been resolved for {@link Builder#serviceIdleTimeout} (5 minutes by default), and at most
 * {@link Builder#maxServices} at once (1000 by default); a name that is no Service is remembered as such
 * for {@link Builder#notAServiceTtl} (30 s by default) and keeps no table entry or watch.
 *
 * <pre>{@code
 * OkHttpClient client = new OkHttpClient.Builder().dns(KDiscoveryDns.create(discovery)).build();
 * }</pre>
 *
 * <p>The answer is a list of pod IPs, like a headless Service's A records, and OkHttp connects to them on
 * the URL's port: use the pods' port in the URL, or the {@link KDiscoveryInterceptor}, which also maps
 * the Service's port to the pods' port and picks a pod per call. The table read is the one of
 * {@link Builder#servicePort} (80 by default; its pods are those of every port in most Services).
 * Unready pods are never returned; serving-and-terminating ones only while no pod is ready
 * ({@link ServiceSnapshot#usableEndpoints()}).
 *
 * <p><b>{@code KDiscoveryDns} or {@link KDiscoveryInterceptor} for TLS?</b> Prefer the interceptor. With
 * either, the URL keeps the Service's name, so OkHttp sends it as SNI and checks the pod's certificate
 * and the client's pins against it on every connection, and its pool never lends one Service's
 * connection to another Service's call. But this resolver is asked once per new connection, and a pooled
 * connection keeps its pod: no pick per call, no outcome to passive health, no port mapping; and OkHttp
 * matches pins on the exact host, so a pin set for {@code name} does not cover a call to {@code name.}
 * (with a trailing dot), which the interceptor canonicalises.
 */
public final class KDiscoveryDns implements Dns, AutoCloseable {

  private final Dns fallback;
  private final ClusterNames names;
  private final String servicePort;
  private final Duration initialWait;
  private final ServiceLeases<ServiceHandle> handles;
  private volatile boolean closed;

  private KDiscoveryDns(Builder b) {
    KDiscovery discovery = b.discovery;
    this.handles = new ServiceLeases<>(b.options, discovery.ticker(), discovery.scheduler(), discovery::open,
        ServiceHandle::close);
    this.fallback = b.fallback;
    this.names = b.options.names(discovery.defaultNamespace());
    this.servicePort = b.servicePort;
    this.initialWait = b.options.initialWait();
  }

  /** The defaults: port 80, cluster domain {@code cluster.local}, {@link Dns#SYSTEM} for other names. */
  public static KDiscoveryDns create(KDiscovery discovery) {
    return builder(discovery).build();
  }

  public static Builder builder(KDiscovery discovery) {
    return new Builder(discovery);
  }

  /**
   * The usable pods' addresses for a Service name; the fallback's answer for any other name, and for
   * a short name ({@code web}, {@code web.shop}) when no such Service exists.
   *
   * @throws UnknownHostException for a Service name whose Service does not exist or has no usable pod
   *     right now, or whose table could not be read within the initial wait (with the cause)
   */
  @Override
  public List<InetAddress> lookup(String hostname) throws UnknownHostException {
    ClusterNames.ServiceName name = names.parse(hostname);
    if (name == null || closed) {
      return fallback.lookup(hostname);
    }
    Exception absent = handles.whyAbsent(name.namespace(), name.name());
    if (absent != null) {
      if (name.shortForm()) {
        return fallback.lookup(hostname);
      }
      throw unknown(hostname + ": " + absent.getMessage(), null);
    }
    ServiceKey key = ServiceKey.of(name.namespace(), name.name(), servicePort);
    ServiceSnapshot snapshot;
    try (ServiceLeases.Lease<ServiceHandle> lease = handles.acquire(key)) {
      if (lease == null) {
        return fallback.lookup(hostname); // closed meanwhile
      }
      ServiceHandle handle = lease.resource();
      // awaitSnapshot waits for (and returns) the first snapshot; the answer is the latest one.
      snapshot = handle.snapshot().orElseGet(() -> handle.awaitSnapshot(initialWait));
    } catch (SnapshotTimeoutException e) {
      if (name.shortForm()) {
        return fallback.lookup(hostname);
      }
      throw unknown(hostname + ": the table of Service " + key + " was not ready within " + initialWait, e);
    }
    if (!snapshot.serviceFound()) {
      String why = "no Service " + name.namespace() + "/" + name.name() + " in the cluster";
      handles.markAbsent(key, new UnknownHostException(why));
      if (name.shortForm()) {
        return fallback.lookup(hostname);
      }
      throw unknown(hostname + ": " + why, null);
    }
    Set<String> addresses = new LinkedHashSet<>();
    for (Endpoint e : snapshot.usableEndpoints()) {
      addresses.add(e.address());
    }
    if (addresses.isEmpty()) {
      throw unknown(hostname + ": Service " + key + " has no ready pod (" + snapshot.endpoints().size()
          + " endpoints, none usable)", null);
    }
    List<InetAddress> result = new ArrayList<>(addresses.size());
    for (String address : addresses) {
      // An IP literal: getByName parses it without a DNS query; the host name is kept for messages.
      InetAddress parsed = InetAddress.getByName(address);
      result.add(InetAddress.getByAddress(hostname, parsed.getAddress()));
    }
    return result;
  }

  /** Releases every Service table this resolver opened; later lookups go to the fallback. */
  @Override
  public void close() {
    closed = true;
    handles.close();
  }

  /** The bounded set of open Service tables; for tests. */
  ServiceLeases<ServiceHandle> handles() {
    return handles;
  }

  private static UnknownHostException unknown(String message, Throwable cause) {
    UnknownHostException e = new UnknownHostException(message);
    if (cause != null) {
      e.initCause(cause);
    }
    return e;
  }

  /** Configures a {@link KDiscoveryDns}; each setter checks its argument at once. Not thread-safe. */
  public static final class Builder {
    private final KDiscovery discovery;
    private Dns fallback = Dns.SYSTEM;
    private String servicePort = "80";
    private final ServiceNameOptions options = new ServiceNameOptions();

    private Builder(KDiscovery discovery) {
      this.discovery = Objects.requireNonNull(discovery, "discovery");
    }

    /** Where names that are not cluster Services go (default {@link Dns#SYSTEM}). */
    public Builder fallback(Dns fallback) {
      this.fallback = Objects.requireNonNull(fallback, "fallback");
      return this;
    }

    /** The cluster's DNS domain (default {@code cluster.local}). */
    public Builder clusterDomain(String domain) {
      options.clusterDomain(domain);
      return this;
    }

    /** The Service port whose pods a name resolves to, by number or name (default 80). */
    public Builder servicePort(String port) {
      ServiceKey.of("default", "validation", port); // the same rule as every key
      this.servicePort = port;
      return this;
    }

    public Builder servicePort(int port) {
      return servicePort(Integer.toString(port));
    }

    /** How long a Service stays open without lookups before its table is released (default 5 min). */
    public Builder serviceIdleTimeout(Duration timeout) {
      options.serviceIdleTimeout(timeout);
      return this;
    }

    /** How many Services may be open at once (default 1000); past it, the least used are released. */
    public Builder maxServices(int max) {
      options.maxServices(max);
      return this;
    }

    /**
     * How long a name found to be no Service is remembered (default 30 s): meanwhile its lookups fail at
     * once (a short name goes to the fallback) and open nothing; zero remembers nothing.
     */
    public Builder notAServiceTtl(Duration ttl) {
      options.notAServiceTtl(ttl);
      return this;
    }

    /** How long a Service's first lookup waits for its table (default 5 s). */
    public Builder initialWait(Duration wait) {
      options.initialWait(wait);
      return this;
    }

    /**
     * Namespaces besides the default one in which {@code <service>.<namespace>} is read as a Service
     * (so that {@code web.shop} is the Service; {@code example.com} stays a public name).
     */
    public Builder shortFormNamespaces(String... namespaces) {
      options.shortFormNamespaces(namespaces);
      return this;
    }

    public KDiscoveryDns build() {
      return new KDiscoveryDns(this);
    }
  }
}
