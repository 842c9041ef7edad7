package io.kdiscovery.okhttp;

import io.kdiscovery.BalancedService;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.NoEndpointException;
import io.kdiscovery.balancing.Pick;
import io.kdiscovery.balancing.PickContext;
import io.kdiscovery.balancing.RequestAttempts;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.SnapshotTimeoutException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.net.Proxy;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLSocketFactory;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * An OkHttp application interceptor that sends each call for a cluster Service straight to one of its
 * pods, picked by kdiscovery per call: {@code GET http://hostnames.default.svc.cluster.local/} (or
 * {@code http://hostnames/}, {@code hostnames.default}, …) goes to {@code 10.244.0.5:9376}, the
 * Service's port mapped to the pods' port through its {@code targetPort}. Calls for other hosts pass
 * through untouched.
 *
 * <ul>
 *   <li>Every pick is completed with the call's outcome, which feeds passive health: a response is a
 *       success (a 5xx a failure) with its latency; an I/O error a failure; a refused or unreachable
 *       connection a connect failure, which ejects the pod at once with the default outlier detection.
 *       A response served from the client's cache asked no pod and is no outcome.
 *   <li>An idempotent call (GET, HEAD, PUT, DELETE, OPTIONS, TRACE) that fails with an I/O error is
 *       retried on another pod, up to {@link Builder#maxAttempts} attempts in all; others are not.
 *   <li>The call stays a call to the Service's URL: OkHttp sees the Service's host name and port, so
 *       {@code Host} (unless the caller set one), cookies, the cache and redirects are those of that
 *       URL, and for {@code https} OkHttp itself sends the Service's name as SNI and checks the pod's
 *       certificate against it with the client's own {@code HostnameVerifier} and
 *       {@code CertificatePinner}, on every connection. No TLS setting of the interceptor is needed.
 *   <li>{@link Builder#affinityHeader} makes the value of a request header the affinity and hash key,
 *       so that with sticky affinity or a consistent-hash policy a user stays on one pod.
 *   <li>With no pod to send to, the call fails with an {@link IOException} whose cause is the
 *       {@link NoEndpointException} saying why.
 * </ul>
 *
 * <p>How: the URL is left alone, and the pod is chosen underneath it. For each attempt the interceptor
 * proceeds with a chain whose {@code Dns} answers the Service's host name with the picked pod's address
 * (a {@link PodDns}; other names, such as a redirect elsewhere, go to the client's Dns), with no proxy
 * (the point is to reach the pod itself), and, when the pod's port differs from the Service's, with
 * sockets that connect to the pod's port ({@link PodPortSocketFactory}). OkHttp's connection pool keys
 * connections by address, Dns included, so a connection is reused only for the same host name and pod:
 * a connection checked for Service {@code a} never carries a call for Service {@code b}, even on a pod
 * both select, and each new connection is checked for its own host name, pins included. This keeps
 * every OkHttp behaviour (TLS, pins, redirects, cookies, cache, authentication) as OkHttp defines it
 * for the URL, instead of re-creating it around a rewritten pod-IP URL (the old way, which needed a
 * TLS factory and verifier of its own and still let a pooled connection carry another Service's call);
 * it needs only the per-call {@code Chain.with…} settings of OkHttp 5.
 *
 * <p><b>{@code KDiscoveryInterceptor} or {@link KDiscoveryDns} for TLS?</b> Prefer the interceptor.
 * Both leave the URL's host as the Service's name, so OkHttp checks SNI, the certificate and pins
 * against that name either way; the interceptor adds a pick per call (the Dns answer is used per new
 * connection, and a pooled connection keeps its pod), maps the Service's port to the pods' port (with the
 * Dns the URL must carry the pods' port), drops a trailing dot from the Service's name so that pins
 * set for the name apply to {@code https://name./} too (OkHttp matches pins on the exact host), and
 * reports outcomes to passive health.
 *
 * <p>A host name in a call is outside input, so the state it creates is bounded: each Service port called
 * gets a balancer (on one shared watch per Service), released after {@link Builder#serviceIdleTimeout}
 * without calls (5 minutes by default) and when more than {@link Builder#maxServices} are open (1000 by
 * default); a name that is no Service is remembered as such for {@link Builder#notAServiceTtl} (30 s by
 * default) and holds no balancer, table entry or watch. A Service released while a call still uses it
 * closes when that call is done.
 *
 * <p>The client's own {@code SocketFactory} and proxy settings are not used for calls to Services whose
 * port differs from the pods' (sockets) and for any call to a Service (proxy): the call goes to the pod.
 *
 * <p>Thread-safe: one instance serves every call of a client; {@link #close()} releases every Service.
 *
 * <pre>{@code
 * KDiscoveryInterceptor pods = KDiscoveryInterceptor.builder(discovery)
 *     .balancer(LoadBalancer.builder().policy(Policy.LEAST_REQUEST)).build();
 * OkHttpClient client = new OkHttpClient.Builder().addInterceptor(pods).build();
 * }</pre>
 */
public final class KDiscoveryInterceptor implements Interceptor, AutoCloseable {

  private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE");

  private final ClusterNames names;
  private final String affinityHeader;
  private final int maxAttempts;
  private final Duration initialWait;
  private final ServiceLeases<BalancedService> services;
  private volatile boolean closed;

  private KDiscoveryInterceptor(Builder b) {
    KDiscovery discovery = b.discovery;
    LoadBalancer.Builder balancer = b.balancer;
    this.names = b.options.names(discovery.defaultNamespace());
    this.affinityHeader = b.affinityHeader;
    this.maxAttempts = b.maxAttempts;
    this.initialWait = b.options.initialWait();
    this.services = new ServiceLeases<>(b.options, discovery.ticker(), discovery.scheduler(), key -> {
      synchronized (balancer) { // the builder is shared: build one balancer at a time
        return discovery.balance(key, balancer);
      }
    }, BalancedService::close);
  }

  public static Builder builder(KDiscovery discovery) {
    return new Builder(discovery);
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request original = chain.request();
    Request request = original;
    HttpUrl url = request.url();
    ClusterNames.ServiceName name = closed ? null : names.parse(url.host());
    if (name == null) {
      return chain.proceed(original);
    }
    Exception absent = services.whyAbsent(name.namespace(), name.name());
    if (absent != null) {
      if (name.shortForm()) {
        return chain.proceed(original); // "web" is not a Service here: an ordinary host name
      }
      throw new IOException(url.host() + ": " + absent.getMessage(), absent);
    }
    if (url.host().endsWith(".")) {
      // The absolute name and the name are one Service: OkHttp matches pins, cookies and connections on
      // the exact host, so the call goes on with the name a pin or a cookie is set for.
      url = url.newBuilder().host(withoutTrailingDots(url.host())).build();
      request = request.newBuilder().url(url).build();
    }
    ServiceKey key = ServiceKey.of(name.namespace(), name.name(), url.port());
    ServiceLeases.Lease<BalancedService> lease = services.acquire(key);
    if (lease == null) {
      return chain.proceed(original); // closed meanwhile
    }
    try (lease) {
      BalancedService service = lease.resource();
      ServiceSnapshot snapshot;
      try {
        // awaitSnapshot waits for (and returns) the first snapshot; what counts is the latest one.
        service.awaitSnapshot(initialWait);
        snapshot = service.balancer().snapshot();
      } catch (SnapshotTimeoutException e) {
        if (name.shortForm()) {
          return chain.proceed(original);
        }
        throw new IOException(url.host() + ": the table of " + key + " was not ready within " + initialWait, e);
      }
      if (snapshot != null && !snapshot.serviceFound() && name.shortForm()) {
        services.markAbsent(key, new UnknownHostException(url.host() + " is no Service"));
        return chain.proceed(original); // "web" is not a Service here: an ordinary host name
      }
      return send(chain, request, url, key, attempts(service, request));
    }
  }

  private RequestAttempts attempts(BalancedService service, Request request) {
    String key = affinityHeader == null ? null : request.header(affinityHeader);
    PickContext context = key == null || key.isEmpty() ? PickContext.none()
        : PickContext.builder().affinityKey(key).hashKey(key).build();
    return RequestAttempts.start(service.balancer(), context);
  }

  private Response send(Chain chain, Request request, HttpUrl url, ServiceKey key, RequestAttempts attempts)
      throws IOException {
    boolean retryable = IDEMPOTENT.contains(request.method());
    IOException failure = null;
    for (int attempt = 1; attempt <= maxAttempts; attempt++) {
      Pick pick;
      try {
        pick = attempts.next();
      } catch (NoEndpointException e) {
        if (e.reason() == NoEndpointException.Reason.SERVICE_NOT_FOUND) {
          services.markAbsent(key, e);
        }
        IOException none = new IOException(url.host() + ": " + e.getMessage(), e);
        if (failure != null) {
          none.addSuppressed(failure);
        }
        throw none;
      }
      Endpoint pod = pick.endpoint();
      long start = System.nanoTime();
      try {
        Response response = toPod(chain, url, pod).proceed(request.newBuilder().tag(Endpoint.class, pod).build());
        long latency = System.nanoTime() - start;
        if (response.networkResponse() == null) {
          pick.cancel(); // served from the client's cache: no pod was asked
        } else if (response.code() >= 500) {
          pick.failure(latency);
        } else {
          pick.success(latency);
        }
        return response;
      } catch (ConnectException | NoRouteToHostException e) {
        pick.connectFailure();
        failure = chain(failure, e);
      } catch (InterruptedIOException e) {
        // A timeout, or the call was cancelled: a failure of the pod only when it timed out.
        if (chain.call().isCanceled()) {
          pick.cancel();
          throw e;
        }
        pick.failure(System.nanoTime() - start);
        failure = chain(failure, e);
      } catch (IOException e) {
        pick.failure(System.nanoTime() - start);
        failure = chain(failure, e);
      } catch (RuntimeException e) {
        pick.cancel();
        throw e;
      }
      if (!retryable || chain.call().isCanceled()) {
        break;
      }
    }
    throw failure;
  }

  /** The chain of one attempt: the Service's host name resolves to the pod, and its port maps to the pod's. */
  private static Chain toPod(Chain chain, HttpUrl url, Endpoint pod) throws UnknownHostException {
    InetAddress address = InetAddress.getByName(pod.address()); // an IP literal: parsed, no lookup
    Chain toPod = chain.withDns(new PodDns(url.host(), address, pod.port(), chain.getDns()))
        .withProxy(Proxy.NO_PROXY);
    if (pod.port() != url.port()) {
      toPod = toPod.withSocketFactory(new PodPortSocketFactory(address, url.port(), pod.port()));
    }
    return toPod;
  }

  private static IOException chain(IOException earlier, IOException latest) {
    if (earlier != null) {
      latest.addSuppressed(earlier);
    }
    return latest;
  }

  private static String withoutTrailingDots(String host) {
    String h = host;
    while (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    return h;
  }

  /**
   * Returns {@code delegate}: no longer needed. The interceptor leaves the Service's name in the URL,
   * so OkHttp sends it as SNI on its own; install your SSL socket factory on the client directly.
   *
   * @deprecated install {@code delegate} itself with {@code sslSocketFactory(factory, trustManager)}
   */
  @Deprecated(since = "0.1.0")
  public SSLSocketFactory sslSocketFactory(SSLSocketFactory delegate) {
    return Objects.requireNonNull(delegate, "delegate");
  }

  /**
   * Returns {@code delegate}: no longer needed. OkHttp checks the pod's certificate against the
   * Service's name in the URL with the client's own verifier (and pins), on every connection.
   *
   * @deprecated keep the client's hostname verifier (OkHttp's by default)
   */
  @Deprecated(since = "0.1.0")
  public HostnameVerifier hostnameVerifier(HostnameVerifier delegate) {
    return Objects.requireNonNull(delegate, "delegate");
  }

  /** The balancer of a Service port this interceptor holds open, or null: for tests of its outcomes. */
  LoadBalancer balancer(ServiceKey key) {
    BalancedService service = services.peek(key);
    return service == null ? null : service.balancer();
  }

  /** The bounded set of open Services; for tests. */
  ServiceLeases<BalancedService> services() {
    return services;
  }

  /** Releases every Service this interceptor balanced; later calls pass through untouched. */
  @Override
  public void close() {
    closed = true;
    services.close();
  }

  /** Configures a {@link KDiscoveryInterceptor}; each setter checks its argument at once. Not thread-safe. */
  public static final class Builder {
    private final KDiscovery discovery;
    private LoadBalancer.Builder balancer = LoadBalancer.builder();
    private String affinityHeader;
    private int maxAttempts = 3;
    private final ServiceNameOptions options = new ServiceNameOptions();

    private Builder(KDiscovery discovery) {
      this.discovery = Objects.requireNonNull(discovery, "discovery");
    }

    /** The balancer each Service gets: policy, outlier detection, affinity… (default: round robin). */
    public Builder balancer(LoadBalancer.Builder balancer) {
      this.balancer = Objects.requireNonNull(balancer, "balancer");
      return this;
    }

    /** The request header whose value is the affinity and hash key (e.g. {@code X-User}); default none. */
    public Builder affinityHeader(String header) {
      Objects.requireNonNull(header, "affinityHeader");
      if (header.isBlank()) {
        throw new IllegalArgumentException("affinityHeader must not be blank");
      }
      this.affinityHeader = header;
      return this;
    }

    /** Attempts per idempotent call, each on another pod while one is left (default 3; 1 turns retries off). */
    public Builder maxAttempts(int attempts) {
      if (attempts < 1 || attempts > 10) {
        throw new IllegalArgumentException("maxAttempts must be in 1..10: " + attempts);
      }
      this.maxAttempts = attempts;
      return this;
    }

    /** The cluster's DNS domain (default {@code cluster.local}). */
    public Builder clusterDomain(String domain) {
      options.clusterDomain(domain);
      return this;
    }

    /** How long a Service port stays open without calls before its balancer is released (default 5 min). */
    public Builder serviceIdleTimeout(Duration timeout) {
      options.serviceIdleTimeout(timeout);
      return this;
    }

    /**
     * How many Service ports may be open at once (default 1000); past it, the least used are released
     * (Caffeine's size eviction), so that host names in calls cannot grow the state without bound.
     */
    public Builder maxServices(int max) {
      options.maxServices(max);
      return this;
    }

    /**
     * How long a name found to be no Service is remembered (default 30 s): meanwhile a call to it fails
     * at once (a short name goes to the network as an ordinary host name) and opens nothing; zero
     * remembers nothing.
     */
    public Builder notAServiceTtl(Duration ttl) {
      options.notAServiceTtl(ttl);
      return this;
    }

    /** How long the first call to a Service waits for its table (default 5 s). */
    public Builder initialWait(Duration wait) {
      options.initialWait(wait);
      return this;
    }

    /** Namespaces besides the default one where {@code <service>.<namespace>} names a Service. */
    public Builder shortFormNamespaces(String... namespaces) {
      options.shortFormNamespaces(namespaces);
      return this;
    }

    public KDiscoveryInterceptor build() {
      return new KDiscoveryInterceptor(this);
    }
  }
}
