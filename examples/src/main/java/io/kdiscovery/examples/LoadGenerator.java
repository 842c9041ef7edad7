package io.kdiscovery.examples;

import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.NoEndpointException;
import io.kdiscovery.balancing.Pick;
import io.kdiscovery.balancing.PickContext;
import io.kdiscovery.balancing.RequestAttempts;
import io.kdiscovery.model.Endpoint;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Steady client traffic to a Service, sent the way an application using kdiscovery sends it: a pick
 * per request, straight to the pod, the outcome reported back to passive health, and up to
 * {@value #ATTEMPTS} attempts on different pods ({@link RequestAttempts}) when a pod fails.
 *
 * <p>Thread-safe. A few named daemon workers; {@link #mode} can be switched while they run.
 */
final class LoadGenerator implements AutoCloseable {

  static final int ATTEMPTS = 3;

  /** What each request carries: the affinity a client asks for. */
  enum Mode {
    /** No key: the policy spreads the requests. */
    PLAIN,
    /** Each worker is a client with its own IP (10.0.0.x), the key of {@code sessionAffinity: ClientIP}. */
    CLIENT_IP,
    /** Each worker sends as one user ({@code X-User: user-x}), hashed onto the ring of a second balancer. */
    USER_HEADER
  }

  private final LoadBalancer balancer;
  private final LoadBalancer byUser;
  private final TrafficStats stats;
  private final Duration pause;
  private final HttpClient http;
  private final ExecutorService workers;
  private final ExecutorService httpThreads;
  private final int count;
  private volatile Mode mode = Mode.PLAIN;
  private volatile boolean running = true;

  /**
   * @param balancer the Service's balancer
   * @param byUser a ring-hash balancer of the same Service, for {@link Mode#USER_HEADER}
   */
  LoadGenerator(LoadBalancer balancer, LoadBalancer byUser, TrafficStats stats, int workers, Duration pause) {
    this.balancer = balancer;
    this.byUser = byUser;
    this.stats = stats;
    this.pause = pause;
    this.count = workers;
    this.httpThreads = Executors.newFixedThreadPool(2, daemon("demo-http"));
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).executor(httpThreads).build();
    this.workers = Executors.newFixedThreadPool(workers, daemon("demo-load"));
  }

  void start() {
    for (int i = 0; i < count; i++) {
      int worker = i;
      workers.execute(() -> {
        while (running) {
          request(worker);
          LockSupport.parkNanos(pause.toNanos());
        }
      });
    }
  }

  void mode(Mode mode) {
    this.mode = mode;
  }

  /** The affinity key worker {@code worker} sends under {@code mode}, or null. */
  static String key(Mode mode, int worker) {
    return switch (mode) {
      case PLAIN -> null;
      case CLIENT_IP -> "10.0.0." + (worker + 1);
      case USER_HEADER -> "user-" + (worker + 1);
    };
  }

  int workers() {
    return count;
  }

  private void request(int worker) {
    Mode m = mode;
    String key = key(m, worker);
    LoadBalancer target = m == Mode.USER_HEADER ? byUser : balancer;
    PickContext context = switch (m) {
      case PLAIN -> PickContext.none();
      case CLIENT_IP -> PickContext.forKey(key);
      case USER_HEADER -> PickContext.builder().affinityKey(key).hashKey(key).build();
    };
    long start = System.nanoTime();
    RequestAttempts attempts = RequestAttempts.start(target, context);
    String lastError = "";
    for (int attempt = 1; attempt <= ATTEMPTS && running; attempt++) {
      Pick pick;
      try {
        pick = attempts.next();
      } catch (NoEndpointException e) {
        stats.noEndpoint(e.reason() + ": " + e.getMessage());
        LockSupport.parkNanos(pause.toNanos() * 5);
        return;
      }
      Endpoint pod = pick.endpoint();
      String name = pod.podName() != null ? pod.podName() : pod.hostPort();
      stats.picked(name);
      long sent = System.nanoTime();
      try {
        HttpRequest.Builder get = HttpRequest.newBuilder(URI.create("http://" + pod.hostPort() + "/"))
            .timeout(Duration.ofSeconds(2));
        if (key != null && m == Mode.USER_HEADER) {
          get.header("X-User", key);
        }
        HttpResponse<String> response = http.send(get.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() < 500) {
          pick.success(System.nanoTime() - sent);
          stats.answered(response.body().strip(), System.nanoTime() - start, attempt, key);
          return;
        }
        pick.failure(System.nanoTime() - sent);
        lastError = name + " answered " + response.statusCode();
      } catch (ConnectException | HttpConnectTimeoutException e) {
        pick.connectFailure();
        lastError = name + ": connect failed (" + e.getClass().getSimpleName() + ")";
      } catch (IOException e) {
        pick.failure(System.nanoTime() - sent);
        lastError = name + ": " + e;
      } catch (InterruptedException e) {
        pick.cancel();
        Thread.currentThread().interrupt();
        return;
      }
    }
    if (running) {
      stats.failed(lastError);
    }
  }

  static java.util.concurrent.ThreadFactory daemon(String prefix) {
    AtomicInteger made = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + made.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void close() {
    running = false;
    workers.shutdown();
    try {
      if (!workers.awaitTermination(5, TimeUnit.SECONDS)) {
        workers.shutdownNow();
      }
    } catch (InterruptedException e) {
      workers.shutdownNow();
      Thread.currentThread().interrupt();
    }
    httpThreads.shutdownNow();
  }
}
