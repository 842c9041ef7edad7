package io.kdiscovery.benchmarks.watch;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.okhttp.OkHttpClientFactory;
import io.fabric8.kubernetes.client.vertx5.Vertx5HttpClientFactory;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.WatchScope;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.ServiceHandle;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Issue 20: fabric8's HTTP transports side by side under one {@code KDiscovery} watching 1 000
 * Services of 10 endpoints in one scope, on the mock API server (HTTP or HTTPS). Prints, once every
 * watch is open and 2 s settled: the threads the client and kdiscovery added (grouped by name), the heap
 * retained; then the propagation delay (mock accepted the write → the subscriber has the snapshot) of
 * {@code changes} updates of one Service's slice with every other watch open, and the CPU the new
 * threads (the client's and kdiscovery's, not the mock's or the writer's) spent per change; then
 * the threads left 10 s after close.
 *
 * <p>Arguments: {@code <transport> <SERVICE|NAMESPACE> [services=1000] [endpoints=10] [http|https]
 * [changes=300]}, where transport is {@code okhttp}, {@code jdk} or {@code vertx} (fabric8's factory as
 * shipped, a client the caller passes in) or {@code kdiscovery} (no client passed: the one the library
 * builds). Appends to {@code benchmarks/charts/data/transports.csv}.
 */
public final class Transports {

  private static final int WARMUP = 30;

  private Transports() {}

  public static void main(String[] args) throws Exception {
    String transport = args.length > 0 ? args[0] : "kdiscovery";
    WatchScope scope = WatchScope.valueOf(args.length > 1 ? args[1] : "SERVICE");
    int services = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
    int endpoints = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    boolean https = args.length > 4 && args[4].equals("https");
    int changes = args.length > 5 ? Integer.parseInt(args[5]) : 300;
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.out.printf("load before: %s%n", Stats.uptime());
    ThreadMXBean threadsBean = ManagementFactory.getThreadMXBean();

    try (MockApi api = new MockApi(https)) {
      Kubeconfig.pointAt(api);
      for (int i = 0; i < services; i++) {
        api.apply(Fixtures.service("svc-" + i));
        api.apply(Fixtures.slice("svc-" + i, i, 0, endpoints, true));
      }
      LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
      Map<Long, Long> cpuBefore = threadCpu(threadsBean);
      long heapBefore = Stats.usedHeapAfterGc();

      KubernetesClient client = clientOn(transport, api);
      KDiscovery.Builder builder = KDiscovery.builder().watchScope(scope);
      if (client != null) {
        builder.kubernetesClient(client);
      }
      KDiscovery discovery = builder.build();
      List<ServiceHandle> handles = new ArrayList<>(services);
      CountDownLatch allFirst = new CountDownLatch(services);
      long start = System.nanoTime();
      for (int i = 0; i < services; i++) {
        ServiceHandle handle = discovery.open("svc-" + i + ".default:80");
        handles.add(handle);
        handle.firstSnapshot().thenRun(allFirst::countDown);
      }
      boolean all = allFirst.await(300, TimeUnit.SECONDS);
      double firstSeconds = (System.nanoTime() - start) / 1e9;
      int expectedWatches = scope == WatchScope.SERVICE ? 2 * services : 2;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (api.openWatches() < expectedWatches && System.nanoTime() < deadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
      }
      double watchingSeconds = (System.nanoTime() - start) / 1e9;
      LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2));
      int threads = clientThreads(threadsBean, cpuBefore);
      String groups = newThreadGroups(threadsBean, cpuBefore);
      double heapMb = (Stats.usedHeapAfterGc() - heapBefore) / 1024.0 / 1024.0;

      // Propagation and CPU per change, every watch open.
      ServiceHandle probe = handles.get(0);
      BlockingQueue<Long> arrivals = new LinkedBlockingQueue<>();
      BlockingQueue<ServiceSnapshot> snapshots = new LinkedBlockingQueue<>();
      probe.subscribe(s -> {
        arrivals.add(System.nanoTime());
        snapshots.add(s);
      });
      snapshots.poll(10, TimeUnit.SECONDS);
      arrivals.clear();
      snapshots.clear();
      long[] nanos = new long[changes];
      Map<Long, Long> cpuStart = Map.of();
      for (int i = 1; i <= WARMUP + changes; i++) {
        if (i == WARMUP + 1) {
          cpuStart = threadCpu(threadsBean);
        }
        api.apply(Fixtures.slice("svc-0", 0, 0, endpoints, i % 2 == 0));
        long accepted = api.lastWriteAcceptedNanos();
        Long arrived = arrivals.poll(10, TimeUnit.SECONDS);
        ServiceSnapshot snapshot = snapshots.poll(10, TimeUnit.SECONDS);
        if (arrived == null || snapshot == null) {
          throw new IllegalStateException("change " + i + " did not arrive");
        }
        if (i > WARMUP) {
          nanos[i - WARMUP - 1] = arrived - accepted;
        }
      }
      double cpuPerChangeUs = cpuSince(threadCpu(threadsBean), cpuStart, cpuBefore) / 1e3 / changes;

      for (ServiceHandle handle : handles) {
        handle.close();
      }
      discovery.close();
      if (client != null) {
        client.close();
      }
      int threadsLeft = Integer.MAX_VALUE;
      long closeDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (threadsLeft > 0 && System.nanoTime() < closeDeadline) {
        System.gc(); // the JDK 17 HttpClient's selector thread ends once its client is unreachable
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
        threadsLeft = clientThreads(threadsBean, cpuBefore);
      }

      String line = String.format(Locale.ROOT,
          "[%s %s %s] %d Services x %d endpoints: %s first snapshots in %.2f s, all watches open in %.2f s; "
              + "+%d client threads {%s}; +%.1f MiB heap; propagation over %d changes median %.2f ms, "
              + "p99 %.2f ms; CPU %.0f us per change (client and kdiscovery threads); 10 s after close: +%d threads",
          transport, scope, https ? "https" : "http", services, endpoints, all ? "all" : "NOT all", firstSeconds,
          watchingSeconds, threads, groups, heapMb, changes, Stats.percentileMs(nanos, 50),
          Stats.percentileMs(nanos, 99), cpuPerChangeUs, threadsLeft)
          + (threadsLeft > 0 ? " " + newThreadGroups(threadsBean, cpuBefore) : "");
      System.out.println(line);
      Stats.csv(Path.of("benchmarks/charts/data/transports.csv"),
          "transport,scope,protocol,services,endpoints,first_s,watching_s,client_threads,heap_mib,"
              + "p50_ms,p99_ms,cpu_us_per_change,threads_after_close",
          String.format(Locale.ROOT, "%s,%s,%s,%d,%d,%.2f,%.2f,%d,%.1f,%.2f,%.2f,%.0f,%d", transport, scope,
              https ? "https" : "http", services, endpoints, firstSeconds, watchingSeconds, threads,
              heapMb, Stats.percentileMs(nanos, 50), Stats.percentileMs(nanos, 99), cpuPerChangeUs, threadsLeft));
    }
    System.out.printf("load after: %s%n", Stats.uptime());
    System.exit(0);
  }

  /** A caller's client on fabric8's stock factory for {@code transport}; null for the library's own. */
  private static KubernetesClient clientOn(String transport, MockApi api) {
    HttpClient.Factory factory = switch (transport) {
      case "okhttp" -> new OkHttpClientFactory();
      case "jdk" -> new JdkHttpClientFactory();
      case "vertx" -> new Vertx5HttpClientFactory();
      case "kdiscovery" -> null;
      default -> throw new IllegalArgumentException("transport: okhttp, jdk, vertx or kdiscovery: " + transport);
    };
    return factory == null ? null
        : new KubernetesClientBuilder().withHttpClientFactory(factory).withConfig(api.config()).build();
  }

  /**
   * CPU time of every live thread but the mock server's: fabric8's CRUD mock sends each watch's events
   * from a single-thread executor of its own (default-named {@code pool-N-thread-1}), server work that
   * a real API server does elsewhere.
   */
  private static Map<Long, Long> threadCpu(ThreadMXBean bean) {
    Map<Long, Long> cpu = new HashMap<>();
    for (var info : bean.getThreadInfo(bean.getAllThreadIds())) {
      if (info != null && !isMockWatchSender(info.getThreadName())) {
        long nanos = bean.getThreadCpuTime(info.getThreadId());
        if (nanos >= 0) {
          cpu.put(info.getThreadId(), nanos);
        }
      }
    }
    return cpu;
  }

  static boolean isMockWatchSender(String name) {
    return name.matches("pool-\\d+-thread-\\d+");
  }

  /** Client threads now: those born after the baseline, but the mock server's watch senders. */
  private static int clientThreads(ThreadMXBean bean, Map<Long, Long> baseline) {
    return threadCpu(bean).keySet().stream().mapToInt(id -> baseline.containsKey(id) ? 0 : 1).sum();
  }

  /** CPU the client threads alive at the end spent since {@code start} (threads born since count whole). */
  private static long cpuSince(Map<Long, Long> end, Map<Long, Long> start, Map<Long, Long> baseline) {
    long total = 0;
    for (Map.Entry<Long, Long> e : end.entrySet()) {
      if (!baseline.containsKey(e.getKey())) {
        total += e.getValue() - start.getOrDefault(e.getKey(), 0L);
      }
    }
    return total;
  }

  /** The client threads born after the baseline, counted by name with the trailing number dropped. */
  private static String newThreadGroups(ThreadMXBean bean, Map<Long, Long> baseline) {
    Map<String, Integer> groups = new TreeMap<>();
    for (var info : bean.getThreadInfo(bean.getAllThreadIds())) {
      if (info != null && !baseline.containsKey(info.getThreadId()) && !isMockWatchSender(info.getThreadName())) {
        String name = info.getThreadName().replaceAll("[-#\\s]*\\d+(\\s.*)?$", "").replaceAll("^OkHttp .*", "OkHttp")
            .replaceAll("^-?\\d+-pool-\\d+-thread", "fabric8-pool");
        groups.merge(name, 1, Integer::sum);
      }
    }
    return groups.toString();
  }
}
