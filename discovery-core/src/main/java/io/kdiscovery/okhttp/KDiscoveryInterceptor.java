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
import java.net.NoRouteToHostException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 *   <li>An idempotent call (GET, HEAD, PUT, DELETE, OPTIONS, TRACE) that fails with an I/O error is
 *       retried on another pod, up to {@link Builder#maxAttempts} attempts in all; others are not.
 *   <li>The {@code Host} header stays the URL's authority (the Service's name). For {@code https},
 *       install {@link #sslSocketFactory} and {@link #hostnameVerifier} on the client, so the TLS
 *       handshake sends the Service's name as SNI and the certificate is checked against it, not
 *       against the pod's IP.
 *   <li>{@link Builder#affinityHeader} makes the value of a request header the affinity and hash key,
 *       so that with sticky affinity or a consistent-hash policy a user stays on one pod.
 *   <li>With no pod to send to, the call fails with an {@link IOException} whose cause is the
 *       {@link NoEndpointException} saying why.
 * </ul>
 *
 * <p>Thread-safe: one instance serves every call of a client. Each Service called gets a balancer (one
 * shared watch per Service), kept until {@link #close()}.
 *
 * <pre>{@code
 * KDiscoveryInterceptor pods = KDiscoveryInterceptor.builder(discovery)
 *     .balancer(LoadBalancer.builder().policy(Policy.LEAST_REQUEST)).build();
 * OkHttpClient client = new OkHttpClient.Builder().addInterceptor(pods).build();
 * }</pre>
 */
public final class KDiscoveryInterceptor implements Interceptor, AutoCloseable {

  private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE");

  private final KDiscovery discovery;
  private final LoadBalancer.Builder balancer;
  private final ClusterNames names;
  private final String affinityHeader;
  private final int maxAttempts;
  private final Duration initialWait;
  private final Map<ServiceKey, BalancedService> services = new ConcurrentHashMap<>();
  /** Pod address ({@code ip:port}) → the Service host name its last call was for: the TLS name to use. */
  private final Map<String, String> tlsNames = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private KDiscoveryInterceptor(Builder b) {
    this.discovery = b.discovery;
    this.balancer = b.balancer;
    this.names = b.options.names(discovery.defaultNamespace());
    this.affinityHeader = b.affinityHeader;
    this.maxAttempts = b.maxAttempts;
    this.initialWait = b.options.initialWait();
  }

  public static Builder builder(KDiscovery discovery) {
    return new Builder(discovery);
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    HttpUrl url = request.url();
    ClusterNames.ServiceName name = closed ? null : names.parse(url.host());
    if (name == null) {
      return chain.proceed(request);
    }
    ServiceKey key = ServiceKey.of(name.namespace(), name.name(), url.port());
    BalancedService service = service(key);
    ServiceSnapshot snapshot;
    try {
      // awaitSnapshot waits for (and returns) the first snapshot; what counts is the latest one.
      service.awaitSnapshot(initialWait);
      snapshot = service.balancer().snapshot();
    } catch (SnapshotTimeoutException e) {
      if (name.shortForm()) {
        return chain.proceed(request);
      }
      throw new IOException(url.host() + ": the table of " + key + " was not ready within " + initialWait, e);
    }
    if (snapshot != null && !snapshot.serviceFound() && name.shortForm()) {
      return chain.proceed(request); // "web" is not a Service here: an ordinary host name
    }
    return send(chain, request, url, attempts(service, request));
  }

  private RequestAttempts attempts(BalancedService service, Request request) {
    String key = affinityHeader == null ? null : request.header(affinityHeader);
    PickContext context = key == null || key.isEmpty() ? PickContext.none()
        : PickContext.builder().affinityKey(key).hashKey(key).build();
    return RequestAttempts.start(service.balancer(), context);
  }

  private Response send(Chain chain, Request request, HttpUrl url, RequestAttempts attempts) throws IOException {
    boolean retryable = IDEMPOTENT.contains(request.method());
    IOException failure = null;
    for (int attempt = 1; attempt <= maxAttempts; attempt++) {
      Pick pick;
      try {
        pick = attempts.next();
      } catch (NoEndpointException e) {
        IOException none = new IOException(url.host() + ": " + e.getMessage(), e);
        if (failure != null) {
          none.addSuppressed(failure);
        }
        throw none;
      }
      Endpoint pod = pick.endpoint();
      tlsNames.put(pod.address() + ":" + pod.port(), url.host());
      Request toPod = request.newBuilder()
          .url(url.newBuilder().host(pod.address()).port(pod.port()).build())
          .header("Host", hostHeader(url))
          .tag(Endpoint.class, pod)
          .build();
      long start = System.nanoTime();
      try {
        Response response = chain.proceed(toPod);
        long latency = System.nanoTime() - start;
        if (response.code() >= 500) {
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

  private static IOException chain(IOException earlier, IOException latest) {
    if (earlier != null) {
      latest.addSuppressed(earlier);
    }
    return latest;
  }

  private static String hostHeader(HttpUrl url) {
    return url.port() == HttpUrl.defaultPort(url.scheme()) ? url.host() : url.host() + ":" + url.port();
  }

  private BalancedService service(ServiceKey key) {
    BalancedService existing = services.get(key);
    if (existing != null) {
      return existing;
    }
    synchronized (balancer) { // the builder is shared: build one balancer at a time
      return services.computeIfAbsent(key, k -> discovery.balance(k, balancer));
    }
  }

  /**
   * Wraps the client's TLS socket factory so that a connection to a pod sends the Service's name
   * (the call's URL host) as SNI. Install it with {@code sslSocketFactory(factory, trustManager)}.
   */
  public SSLSocketFactory sslSocketFactory(SSLSocketFactory delegate) {
    return new ServiceNameSslSocketFactory(Objects.requireNonNull(delegate, "delegate"),
        (host, port) -> tlsNames.get(host + ":" + port));
  }

  /**
   * Checks a pod's certificate against the Service's name instead of the pod's IP; {@code delegate}
   * checks a name, usually OkHttp's own: {@code hostnameVerifier(new OkHttpClient().hostnameVerifier())}.
   */
  public HostnameVerifier hostnameVerifier(HostnameVerifier delegate) {
    Objects.requireNonNull(delegate, "delegate");
    return (host, session) -> {
      String serviceName = tlsNames.get(host + ":" + session.getPeerPort());
      return delegate.verify(serviceName != null ? serviceName : host, session);
    };
  }

  /** The balancer of a Service port this interceptor called, or null: for tests of its outcomes. */
  LoadBalancer balancer(ServiceKey key) {
    BalancedService service = services.get(key);
    return service == null ? null : service.balancer();
  }

  /** Releases every Service this interceptor balanced; later calls pass through untouched. */
  @Override
  public void close() {
    closed = true;
    services.values().forEach(BalancedService::close);
    services.clear();
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
