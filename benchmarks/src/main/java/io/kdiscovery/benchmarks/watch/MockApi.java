package io.kdiscovery.benchmarks.watch;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.util.Collection;
import java.util.HashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * fabric8's mock API server in CRUD mode (real HTTP, real watches) for the watch-layer harnesses,
 * with server-side counters: when the last write was accepted (where a propagation starts), how many
 * LISTs and watches arrived, and how many watches the server holds open now. The harnesses' own copy
 * rather than the test-jar's, so that one harness runs unchanged on the code before and after issue
 * 10. Thread-safe.
 */
final class MockApi implements AutoCloseable {

  private static final Logger MOCK_SERVER_LOG = Logger.getLogger("io.fabric8.mockwebserver");

  private final CountingDispatcher dispatcher = new CountingDispatcher();
  private final KubernetesMockServer server;
  private final KubernetesClient admin;

  private final boolean https;

  MockApi() {
    this(false);
  }

  /** @param https serve HTTPS with the mock's self-signed certificate (clients trust it by config) */
  MockApi(boolean https) {
    this.https = https;
    MOCK_SERVER_LOG.setLevel(Level.WARNING);
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, https);
    server.init(InetAddress.getLoopbackAddress(), 0);
    // The writer's own transport named, so that which one fabric8 finds first does not vary by run.
    admin = new KubernetesClientBuilder().withHttpClientFactory(new io.fabric8.kubernetes.client.okhttp.OkHttpClientFactory())
        .withConfig(config()).build();
  }

  /** A new client of this server, as an application would build one. */
  KubernetesClient client() {
    return new KubernetesClientBuilder().withConfig(config()).build();
  }

  /** The configuration an application would have for this server. */
  io.fabric8.kubernetes.client.Config config() {
    return new ConfigBuilder()
        .withMasterUrl(url())
        .withTrustCerts(https)
        .withNamespace("default")
        .withRequestTimeout(30_000)
        .build();
  }

  String url() {
    return (https ? "https" : "http") + "://127.0.0.1:" + server.getPort();
  }

  void apply(Service service) {
    admin.resource(service).createOr(existing -> existing.update());
  }

  void apply(EndpointSlice slice) {
    admin.resource(slice).createOr(existing -> existing.update());
  }

  /** When the last write reached the server ({@link System#nanoTime()}). */
  long lastWriteAcceptedNanos() {
    return dispatcher.lastWriteAcceptedNanos;
  }

  long lists() {
    return dispatcher.lists.get();
  }

  long watchRequests() {
    return dispatcher.watches.get();
  }

  /** Watches the server holds open now: the CRUD dispatcher's watch listeners. */
  int openWatches() {
    try {
      java.lang.reflect.Field field = KubernetesCrudDispatcher.class.getDeclaredField("watchEventListeners");
      field.setAccessible(true);
      return ((Collection<?>) field.get(dispatcher.crud)).size();
    } catch (ReflectiveOperationException e) {
      return -1; // fabric8 changed; the harness prints -1 rather than failing the run
    }
  }

  @Override
  public void close() {
    admin.close();
    try {
      server.destroy();
    } catch (IllegalStateException e) {
      System.err.println("mock API server shutdown was slow: " + e.getMessage());
    }
  }

  private static final class CountingDispatcher extends Dispatcher {
    final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
    final AtomicLong lists = new AtomicLong();
    final AtomicLong watches = new AtomicLong();
    volatile long lastWriteAcceptedNanos;

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      long arrived = System.nanoTime(); // the CRUD dispatcher sends watch events before it returns
      boolean get = "GET".equals(request.getMethod());
      String path = request.getPath();
      if (get && path.contains("watch=true")) {
        watches.incrementAndGet();
      } else if (get && (path.contains("endpointslices") || path.contains("/services"))
          && (path.contains("?") || path.endsWith("endpointslices") || path.endsWith("services"))) {
        lists.incrementAndGet();
      }
      MockResponse response = crud.dispatch(request);
      if (!get && response.code() < 300) {
        lastWriteAcceptedNanos = arrived;
      }
      return response;
    }

    @Override
    public void shutdown() {
      crud.shutdown();
    }
  }
}
