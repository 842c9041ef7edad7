package io.kdiscovery.source.kubernetes;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.WatchScope;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import io.kdiscovery.testing.LogCapture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * 1 000 Services of 10 endpoints on one KDiscovery, per-Service scope and namespace scope side by side,
 * on the stock CRUD mock API server: time until every first snapshot, threads of the JVM added,
 * watches open on the server, and WARN lines logged.
 *
 * <p>Run: {@code java -cp <test classpath> io.kdiscovery.source.kubernetes.ThousandServicesHarness [services]}
 */
public final class ThousandServicesHarness {

  private ThousandServicesHarness() {}

  public static void main(String[] args) throws Exception {
    int services = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    try (ApiServer api = new ApiServer()) {
      for (int i = 0; i < services; i++) {
        String name = "svc-" + i;
        api.apply(Hostnames.service(name));
        Hostnames.SliceBuilder slice = Hostnames.slice(name + "-abc").forService(name);
        for (int p = 0; p < 10; p++) {
          slice.ready(name + "-" + p, "10." + (i / 250) + "." + (i % 250) + "." + (p + 1));
        }
        api.apply(slice.build());
      }
      for (WatchScope scope : List.of(WatchScope.NAMESPACE, WatchScope.SERVICE, WatchScope.NAMESPACE,
          WatchScope.SERVICE)) {
        run(api, scope, services);
      }
    }
  }

  private static long threadsNamed(String prefix) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith(prefix)).count();
  }

  private static void run(ApiServer api, WatchScope scope, int services) throws Exception {
    try (LogCapture log = new LogCapture();
         KDiscovery discovery = KDiscovery.builder().kubernetesClient(api.client()).watchScope(scope).build()) {
      long start = System.nanoTime();
      List<ServiceHandle> handles = new ArrayList<>();
      List<CompletableFuture<?>> firsts = new ArrayList<>();
      for (int i = 0; i < services; i++) {
        ServiceHandle handle = discovery.open("svc-" + i + ".default:80");
        handles.add(handle);
        firsts.add(handle.firstSnapshot());
      }
      CompletableFuture.allOf(firsts.toArray(new CompletableFuture<?>[0])).get(300, TimeUnit.SECONDS);
      long allFirst = System.nanoTime() - start;
      int expected = scope == WatchScope.SERVICE ? 2 * services : 2;
      long settleStart = System.nanoTime();
      while (api.faults().openWatches() < expected && System.nanoTime() - settleStart < TimeUnit.SECONDS.toNanos(60)) {
        Thread.sleep(100); // a harness, not a test: wait for the watches to open behind the lists
      }
      long allWatching = System.nanoTime() - start;
      int watches = api.faults().openWatches();
      long warnings = log.lines().stream().filter(l -> l.contains(" WARN ") && l.contains("kdiscovery")).count();
      Runtime rt = Runtime.getRuntime();
      System.gc();
      long heapMb = (rt.totalMemory() - rt.freeMemory()) >> 20;
      long kdiscoveryThreads = threadsNamed("kdiscovery-");
      long okHttpThreads = threadsNamed("OkHttp");
      System.out.printf("%-9s %d Services: all first snapshots in %6d ms, all watching in %6d ms; client-side threads:"
          + " kdiscovery %d + the client's OkHttp %d (JVM total %d, most of them the mock server's and the proxy's);"
          + " watches open on the server %4d; kdiscovery WARN lines %d; heap used %d MB%n",
          scope, services, Duration.ofNanos(allFirst).toMillis(), Duration.ofNanos(allWatching).toMillis(),
          kdiscoveryThreads, okHttpThreads, Thread.activeCount(), watches, warnings, heapMb);
      handles.forEach(ServiceHandle::close);
    }
    long closeStart = System.nanoTime();
    while (api.faults().openWatches() > 0 && System.nanoTime() - closeStart < TimeUnit.SECONDS.toNanos(60)) {
      Thread.sleep(100);
    }
  }
}
