package io.kdiscovery.benchmarks.watch;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.table.ServiceHandle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Issue 10, figure 3: one {@code KDiscovery} opening 1 000 Services of 10 endpoints at once, in one
 * watch scope: the time until every Service has its first snapshot, then (2 s later, settled) the
 * threads it added, the watches the server holds open (counted on the server: the CRUD dispatcher's
 * watch listeners), the LISTs and watch requests the server received, the heap it retains (in use
 * after GC, minus before), and the WARN lines it logged (slf4j-simple writes to a file for this);
 * threads and open watches again 10 s after the first snapshots (a source may open its watches after
 * its first LISTs). Then it closes the instance and counts threads and open watches once more.
 *
 * <p>Arguments: {@code <label> [SERVICE|NAMESPACE|CLUSTER] [services=1000] [endpoints=10]}. The
 * scope is set with {@code KDiscovery.Builder.watchScope} when the build has it (issue 10); a build
 * without it runs SERVICE only. Appends to {@code benchmarks/charts/data/many-services.csv}.
 */
public final class ManyServices {

  private ManyServices() {}

  public static void main(String[] args) throws Exception {
    String label = args.length > 0 ? args[0] : "run";
    String scope = args.length > 1 ? args[1] : "SERVICE";
    int services = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
    int endpoints = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    Path logFile = Path.of("benchmarks/charts/data/many-services-" + label + "-" + scope.toLowerCase() + ".log");
    Files.createDirectories(logFile.getParent());
    Files.deleteIfExists(logFile);
    System.setProperty("org.slf4j.simpleLogger.logFile", logFile.toString()); // before any logger exists
    System.out.printf("load before: %s%n", Stats.uptime());

    try (MockApi api = new MockApi()) {
      Kubeconfig.pointAt(api);
      publish(api, services, endpoints);
      int threadsBefore = Stats.liveThreads();
      long heapBefore = Stats.usedHeapAfterGc();
      long listsBefore = api.lists();
      long watchesBefore = api.watchRequests();
      long warnBefore = warnLines(logFile);

      KDiscovery.Builder builder = KDiscovery.builder();
      if (!scope.equals("SERVICE") && !setScope(builder, scope)) {
        System.out.printf("[%s] this build has no KDiscovery.Builder.watchScope: scope %s not measured%n", label, scope);
        System.exit(2);
      }
      KDiscovery discovery = builder.build();
      List<ServiceHandle> handles = new ArrayList<>(services);
      CountDownLatch allFirst = new CountDownLatch(services);
      AtomicLong lastFirst = new AtomicLong();
      long start = System.nanoTime();
      for (int i = 0; i < services; i++) {
        ServiceHandle handle = discovery.open("svc-" + i + ".default:80");
        handles.add(handle);
        handle.firstSnapshot().thenRun(() -> {
          lastFirst.accumulateAndGet(System.nanoTime(), Math::max);
          allFirst.countDown();
        });
      }
      boolean all = allFirst.await(300, TimeUnit.SECONDS);
      double seconds = ((all ? lastFirst.get() : System.nanoTime()) - start) / 1e9;
      long withSnapshot = services - allFirst.getCount();
      LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2)); // let pools and watches settle before counting

      int threads = Stats.liveThreads() - threadsBefore;
      int openWatches = api.openWatches();
      long lists = api.lists() - listsBefore;
      long watchRequests = api.watchRequests() - watchesBefore;
      double heapMb = (Stats.usedHeapAfterGc() - heapBefore) / 1024.0 / 1024.0;
      long warns = warnLines(logFile) - warnBefore;
      LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(8)); // watches a source opens after its first LISTs
      int threadsLater = Stats.liveThreads() - threadsBefore;
      int openWatchesLater = api.openWatches();

      for (ServiceHandle handle : handles) {
        handle.close();
      }
      discovery.close();
      LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2));
      int threadsLeft = Stats.liveThreads() - threadsBefore;
      int watchesLeft = api.openWatches();

      System.out.printf("[%s] %d Services x %d endpoints, scope %s: %s first snapshots in %.2f s; "
              + "+%d threads, %d watches open on the server, %d LISTs and %d watch requests, "
              + "+%.1f MiB heap, %d WARN lines; 10 s after: +%d threads, %d watches open; "
              + "after close: +%d threads, %d watches open%n",
          label, services, endpoints, scope, all ? "all" : withSnapshot + " of " + services, seconds,
          threads, openWatches, lists, watchRequests, heapMb, warns, threadsLater, openWatchesLater,
          threadsLeft, watchesLeft);
      Stats.csv(Path.of("benchmarks/charts/data/many-services.csv"),
          "label,scope,services,endpoints,with_snapshot,seconds_to_all_first,threads_added,open_watches,"
              + "lists,watch_requests,heap_mib,warn_lines,threads_left_after_close,watches_left_after_close,"
              + "threads_added_10s,open_watches_10s",
          String.format(java.util.Locale.ROOT, "%s,%s,%d,%d,%d,%.3f,%d,%d,%d,%d,%.1f,%d,%d,%d,%d,%d",
              label, scope, services, endpoints, withSnapshot, seconds, threads, openWatches, lists,
              watchRequests, heapMb, warns, threadsLeft, watchesLeft, threadsLater, openWatchesLater));
    }
    System.out.printf("load after: %s%n", Stats.uptime());
    System.exit(0); // a build whose threads are not daemons would keep this harness alive
  }

  private static void publish(MockApi api, int services, int endpoints) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < services; i++) {
        int index = i;
        done.add(pool.submit(() -> {
          String name = "svc-" + index;
          api.apply(Fixtures.service(name));
          for (int s = 0; s < Fixtures.slices(endpoints); s++) {
            api.apply(Fixtures.slice(name, index, s, endpoints, true));
          }
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  /** {@code builder.watchScope(WatchScope.valueOf(scope))}, by reflection so the harness also builds before issue 10. */
  private static boolean setScope(KDiscovery.Builder builder, String scope) throws ReflectiveOperationException {
    Class<?> type;
    try {
      type = Class.forName("io.kdiscovery.WatchScope");
    } catch (ClassNotFoundException e) {
      return false;
    }
    @SuppressWarnings({"unchecked", "rawtypes"})
    Object value = Enum.valueOf((Class) type, scope);
    builder.getClass().getMethod("watchScope", type).invoke(builder, value);
    return true;
  }

  private static long warnLines(Path logFile) throws IOException {
    if (!Files.exists(logFile)) {
      return 0;
    }
    try (var lines = Files.lines(logFile)) {
      return lines.filter(l -> l.contains(" WARN ")).count();
    }
  }
}
