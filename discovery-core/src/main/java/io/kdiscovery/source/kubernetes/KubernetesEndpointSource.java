package io.kdiscovery.source.kubernetes;

import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.RequestConfig;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.source.EndpointSource;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * Endpoints from the Kubernetes API: watches a Service and its EndpointSlices (or {@code v1/Endpoints}
 * where slices are unavailable) and reports every change as a complete state.
 *
 * <p>Thread-safe. {@link #watch} never blocks: the API calls run on the source's own daemon threads.
 * The client is by default built on first use from fabric8's standard configuration (in-cluster
 * service account, {@code KUBECONFIG} or {@code ~/.kube/config}, the {@code kubernetes.master} and
 * {@code kubernetes.namespace} system properties) and closed with the source; a client passed to
 * {@link Builder#client} stays the caller's to close.
 *
 * <p>Needs {@code get, list, watch} on {@code endpointslices.discovery.k8s.io} and {@code services}
 * in the watched namespaces ({@code endpoints} instead of slices on old clusters).
 */
public final class KubernetesEndpointSource implements EndpointSource {

  private final Supplier<KubernetesClient> clientFactory;
  private final boolean ownsClient;
  private final Runtime runtime;
  private final Object lock = new Object();
  private KubernetesClient client; // guarded by lock; the caller's, or built on first use
  private KubernetesClient watchClient; // guarded by lock
  private boolean closed; // guarded by lock

  private KubernetesEndpointSource(Builder builder) {
    this.ownsClient = builder.client == null;
    KubernetesClient given = builder.client;
    this.clientFactory = given != null ? () -> given : () -> new KubernetesClientBuilder().build();
    // Work handed over after close() is dropped rather than thrown at the thread that handed it.
    ExecutorService io = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
        new SynchronousQueue<>(), daemonThreads("kdiscovery-k8s-io"), new ThreadPoolExecutor.DiscardPolicy());
    ScheduledExecutorService timers = new ScheduledThreadPoolExecutor(1, daemonThreads("kdiscovery-k8s-timer"),
        new ThreadPoolExecutor.DiscardPolicy());
    this.runtime = new Runtime(io, timers, builder.backoff, builder.random);
  }

  /** A source on fabric8's standard configuration, with default backoff. */
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

  @Override
  public Watch watch(ServiceKey key, Listener listener) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(listener, "listener");
    ServiceWatch watch = new ServiceWatch(key, watchClient(), listener, runtime);
    watch.start();
    return watch;
  }

  /**
   * Whether this application may list the EndpointSlices of {@code namespace}: one small request,
   * made without retries. False, with the reason logged, when the API answers 401 or 403 or cannot
   * be reached at all (no cluster configuration, no route to the API server). Blocks for that request.
   */
  public boolean canReadEndpointSlices(String namespace) {
    try {
      watchClient().discovery().v1().endpointSlices().inNamespace(namespace)
          .list(new ListOptionsBuilder().withLimit(1L).build());
      return true;
    } catch (RuntimeException e) {
      String reason = e instanceof KubernetesClientException k && k.getCode() > 0
          ? "HTTP " + k.getCode() : ResourceFeed.describe(e);
      LoggerFactory.getLogger(KubernetesEndpointSource.class)
          .info("kubernetes: cannot list EndpointSlices in namespace {} ({})", namespace, reason);
      return false;
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
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      closing = ownsClient ? client : null;
    }
    runtime.timers().shutdownNow();
    runtime.io().shutdownNow();
    if (closing != null) {
      closing.close();
    }
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  /** What every watch of this source shares. */
  record Runtime(ExecutorService io, ScheduledExecutorService timers, Backoff backoff, DoubleSupplier random) {}

  /** Configures a {@link KubernetesEndpointSource}; not thread-safe. */
  public static final class Builder {
    private KubernetesClient client;
    private Backoff backoff = Backoff.defaults();
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();

    private Builder() {}

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

    /** The random source of the backoff's jitter; for tests. */
    Builder random(DoubleSupplier random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    public KubernetesEndpointSource build() {
      return new KubernetesEndpointSource(this);
    }
  }
}
