package io.kdiscovery.benchmarks.watch;

import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
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
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.WatchScope;
import io.kdiscovery.table.ServiceHandle;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Issue 20: what one client costs the API server in each watch scope, counted by a dispatcher in
 * front of fabric8's CRUD mock: requests, LISTs, watch requests, response-body bytes, and the watch
 * events (and their bytes) the server sends, through a WebSocket that counts what the CRUD
 * dispatcher sends on it. The writer's own requests (user agent {@code churn-writer}) are not counted.
 *
 * <p>The cluster: {@code namespaces} namespaces of {@code perNamespace} Services with 10 pods each
 * (one EndpointSlice per Service, written whole as the EndpointSlice controller writes it); the client
 * opens the first {@code used} Services of namespace {@code ns-0}. The script of one hour, per
 * Service: one rollout (each of the 10 pods replaced: new pod added not ready, made ready, old pod
 * terminating, old pod removed: 40 slice writes) and one scale-up by 5 and back (20 writes): 60 slice
 * writes per Service per hour, run in {@code 3600 / speed} seconds, in a random order fixed by a seed.
 * Printed: the start-up cost (until every Service has its first snapshot) and the hour's.
 *
 * <p>Arguments: {@code <SERVICE|NAMESPACE|CLUSTER> [namespaces=2] [perNamespace=20] [used=10] [speed=60]}.
 * Appends to {@code benchmarks/charts/data/api-server-cost.csv}.
 */
public final class ApiServerCost {

  private static final String WRITER = "churn-writer";
  private static final int PODS = 10;
  private static final AtomicLong WRITES = new AtomicLong();

  private ApiServerCost() {}

  public static void main(String[] args) throws Exception {
    WatchScope scope = WatchScope.valueOf(args.length > 0 ? args[0] : "SERVICE");
    int namespaces = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int perNamespace = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    int used = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    int speed = args.length > 4 ? Integer.parseInt(args[4]) : 60;
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    Logger.getLogger("io.fabric8.mockwebserver").setLevel(Level.WARNING);
    System.out.printf("load before: %s%n", Stats.uptime());

    CostDispatcher dispatcher = new CostDispatcher();
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        dispatcher, false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    String url = "http://127.0.0.1:" + server.getPort();
    KubernetesClient writer = new KubernetesClientBuilder().withConfig(new ConfigBuilder().withMasterUrl(url)
        .withUserAgent(WRITER).withRequestTimeout(30_000).build()).build();
    List<Pods> all = new ArrayList<>();
    for (int n = 0; n < namespaces; n++) {
      for (int s = 0; s < perNamespace; s++) {
        Pods pods = new Pods("ns-" + n, "svc-" + s, all.size());
        writer.resource(pods.service()).create();
        writer.resource(pods.slice()).create();
        all.add(pods);
      }
    }

    System.setProperty("kubernetes.master", url);
    System.setProperty("kubernetes.namespace", "ns-0");
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
    Counts before = dispatcher.snapshot();
    KDiscovery discovery = KDiscovery.builder().watchScope(scope).build();
    List<ServiceHandle> handles = new ArrayList<>();
    for (int s = 0; s < used; s++) {
      ServiceHandle handle = discovery.open("svc-" + s + ".ns-0:80");
      handle.firstSnapshot().get(60, TimeUnit.SECONDS);
      handles.add(handle);
    }
    LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2)); // the watches that open after the first lists
    Counts started = dispatcher.snapshot();

    // One hour of churn, compressed `speed` times.
    List<Runnable> script = new ArrayList<>();
    for (Pods pods : all) {
      script.addAll(pods.rollout(writer));
      script.addAll(pods.scaleUpAndDown(writer, 5));
    }
    java.util.Collections.shuffle(script, new Random(20));
    long start = System.nanoTime();
    long spanNanos = TimeUnit.SECONDS.toNanos(3600) / speed;
    for (int i = 0; i < script.size(); i++) {
      long due = start + spanNanos * i / script.size();
      LockSupport.parkNanos(due - System.nanoTime());
      script.get(i).run();
    }
    LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(3)); // the last events reach the client
    double realSeconds = (System.nanoTime() - start) / 1e9;
    Counts hour = dispatcher.snapshot().minus(started);
    Counts startup = started.minus(before);

    String line = String.format(Locale.ROOT,
        "[%s] %d namespaces x %d Services x %d pods, %d used, %d slice writes in %.0f s (1 h at %dx): "
            + "start-up %s; per hour %s",
        scope, namespaces, perNamespace, PODS, used, WRITES.get(), realSeconds, speed, startup, hour);
    System.out.println(line);
    Stats.csv(Path.of("benchmarks/charts/data/api-server-cost.csv"),
        "scope,namespaces,per_namespace,used,writes_per_hour,start_requests,start_lists,start_watches,start_bytes,"
            + "hour_requests,hour_lists,hour_watches,hour_events,hour_event_bytes,hour_bytes",
        String.format(Locale.ROOT, "%s,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d", scope, namespaces, perNamespace,
            used, WRITES.get(), startup.requests, startup.lists, startup.watches, startup.bytes(), hour.requests,
            hour.lists, hour.watches, hour.events, hour.eventBytes, hour.bytes()));
    handles.forEach(ServiceHandle::close);
    discovery.close();
    writer.close();
    System.out.printf("load after: %s%n", Stats.uptime());
    System.exit(0); // the mock server's per-watch senders may linger
  }

  /** What the client caused, cumulative. */
  record Counts(long requests, long lists, long watches, long bodyBytes, long events, long eventBytes) {
    Counts minus(Counts o) {
      return new Counts(requests - o.requests, lists - o.lists, watches - o.watches, bodyBytes - o.bodyBytes,
          events - o.events, eventBytes - o.eventBytes);
    }

    long bytes() {
      return bodyBytes + eventBytes;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%d requests (%d LISTs, %d watches), %d watch events, %.1f KiB "
          + "(%.1f KiB of events)", requests, lists, watches, events, bytes() / 1024.0, eventBytes / 1024.0);
    }
  }

  /** One Service and its pods, as the controllers would write them. Not thread-safe: the script's thread. */
  private static final class Pods {
    final String namespace;
    final String name;
    final int index;
    final List<Endpoint> endpoints = new ArrayList<>();
    int nextPod;

    Pods(String namespace, String name, int index) {
      this.namespace = namespace;
      this.name = name;
      this.index = index;
      for (int i = 0; i < PODS; i++) {
        endpoints.add(endpoint(nextPod++, true, false));
      }
    }

    Service service() {
      return new ServiceBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
          .withNewSpec().withClusterIP("None").addToSelector("app", name)
          .addNewPort().withName("http").withPort(80).withNewTargetPort(8080).withProtocol("TCP").endPort()
          .endSpec().build();
    }

    EndpointSlice slice() {
      return new EndpointSliceBuilder().withNewMetadata().withName(name + "-abc").withNamespace(namespace)
          .addToLabels("kubernetes.io/service-name", name).endMetadata().withAddressType("IPv4")
          .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort()
          .withEndpoints(new ArrayList<>(endpoints)).build();
    }

    Endpoint endpoint(int pod, boolean ready, boolean terminating) {
      long n = (long) index * 4096 + pod % 4096;
      return new EndpointBuilder().withAddresses("10." + (n >> 16 & 255) + "." + (n >> 8 & 255) + "." + (n & 255))
          .withNewConditions().withReady(ready && !terminating).withServing(ready).withTerminating(terminating)
          .endConditions().withNodeName("node-" + pod % 7).withZone("zone-" + pod % 3)
          .withNewTargetRef().withKind("Pod").withName(name + "-" + pod).withNamespace(namespace).endTargetRef()
          .build();
    }

    /** Each pod replaced in turn: the new one added, made ready, the old one terminating, then gone. */
    List<Runnable> rollout(KubernetesClient writer) {
      List<Runnable> steps = new ArrayList<>();
      for (int i = 0; i < PODS; i++) {
        steps.add(() -> {
          int pod = nextPod++;
          endpoints.add(endpoint(pod, false, false));
          write(writer);
          endpoints.set(endpoints.size() - 1, endpoint(pod, true, false));
          write(writer);
          Endpoint old = endpoints.get(0);
          endpoints.set(0, new EndpointBuilder(old).editConditions().withReady(false).withTerminating(true)
              .endConditions().build());
          write(writer);
          endpoints.remove(0);
          write(writer);
        });
      }
      return steps;
    }

    /** {@code extra} pods added and made ready, then made terminating and removed. */
    List<Runnable> scaleUpAndDown(KubernetesClient writer, int extra) {
      return List.of(() -> {
        for (int i = 0; i < extra; i++) {
          int pod = nextPod++;
          endpoints.add(endpoint(pod, false, false));
          write(writer);
          endpoints.set(endpoints.size() - 1, endpoint(pod, true, false));
          write(writer);
        }
        for (int i = 0; i < extra; i++) {
          int last = endpoints.size() - 1;
          endpoints.set(last, new EndpointBuilder(endpoints.get(last)).editConditions().withReady(false)
              .withTerminating(true).endConditions().build());
          write(writer);
          endpoints.remove(last);
          write(writer);
        }
      });
    }

    void write(KubernetesClient writer) {
      WRITES.incrementAndGet();
      writer.resource(slice()).update();
    }
  }

  /** Counts what the client under test asks and receives; the writer passes uncounted. */
  private static final class CostDispatcher extends Dispatcher {
    final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
    final AtomicLong requests = new AtomicLong();
    final AtomicLong lists = new AtomicLong();
    final AtomicLong watches = new AtomicLong();
    final AtomicLong bodyBytes = new AtomicLong();
    final AtomicLong events = new AtomicLong();
    final AtomicLong eventBytes = new AtomicLong();

    Counts snapshot() {
      return new Counts(requests.get(), lists.get(), watches.get(), bodyBytes.get(), events.get(), eventBytes.get());
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      MockResponse response = crud.dispatch(request);
      if (WRITER.equals(request.getHeader("User-Agent"))) {
        return response;
      }
      requests.incrementAndGet();
      String path = request.getPath();
      if (path.contains("watch=true")) {
        watches.incrementAndGet();
      } else if ("GET".equals(request.getMethod())) {
        lists.incrementAndGet();
      }
      if (response.getBody() != null) {
        bodyBytes.addAndGet(response.getBody().size());
      }
      if (response.getWebSocketListener() != null) {
        response.withWebSocketUpgrade(new Counting(response.getWebSocketListener()));
      }
      return response;
    }

    @Override
    public void shutdown() {
      crud.shutdown();
    }

    /** Hands the CRUD listener a WebSocket that counts each event it sends. */
    private final class Counting extends WebSocketListener {
      private final WebSocketListener delegate;
      private volatile WebSocket counting;

      Counting(WebSocketListener delegate) {
        this.delegate = delegate;
      }

      private WebSocket wrap(WebSocket socket) {
        WebSocket current = counting;
        if (current == null) {
          current = new WebSocket() {
            @Override
            public RecordedRequest request() {
              return socket.request();
            }

            @Override
            public boolean send(String text) {
              events.incrementAndGet();
              eventBytes.addAndGet(text.getBytes(StandardCharsets.UTF_8).length);
              return socket.send(text);
            }

            @Override
            public boolean send(byte[] bytes) {
              events.incrementAndGet();
              eventBytes.addAndGet(bytes.length);
              return socket.send(bytes);
            }

            @Override
            public boolean close(int code, String reason) {
              return socket.close(code, reason);
            }
          };
          counting = current;
        }
        return current;
      }

      @Override
      public void onBeforeAccept(WebSocket webSocket, Response response) {
        delegate.onBeforeAccept(wrap(webSocket), response);
      }

      @Override
      public void onOpen(WebSocket webSocket, Response response) {
        delegate.onOpen(wrap(webSocket), response);
      }

      @Override
      public void onMessage(WebSocket webSocket, String text) {
        delegate.onMessage(wrap(webSocket), text);
      }

      @Override
      public void onMessage(WebSocket webSocket, byte[] bytes) {
        delegate.onMessage(wrap(webSocket), bytes);
      }

      @Override
      public void onClosing(WebSocket webSocket, int code, String reason) {
        delegate.onClosing(wrap(webSocket), code, reason);
      }

      @Override
      public void onClosed(WebSocket webSocket, int code, String reason) {
        delegate.onClosed(wrap(webSocket), code, reason);
      }

      @Override
      public void onFailure(WebSocket webSocket, Throwable error, Response response) {
        delegate.onFailure(wrap(webSocket), error, response);
      }
    }
  }
}
