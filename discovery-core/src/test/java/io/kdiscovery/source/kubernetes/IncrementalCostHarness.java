package io.kdiscovery.source.kubernetes;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServicePort;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.SourceState;
import io.kdiscovery.testing.Hostnames;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * The library's own work for a one-slice change of a Service of 10 000 endpoints in 100 slices, the
 * incremental path ({@link PortView}: re-translate the slice, merge it, publish the list) beside a
 * full rebuild (translate all 100 slices, sort, compare with the previous list, as before issue 10),
 * in one JVM, and the heap the port's state retains per endpoint. Single-threaded, no I/O: what the
 * source's serial context spends per event.
 *
 * <p>Run: {@code mvn -B -q -pl discovery-core -am test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.kdiscovery.source.kubernetes.IncrementalCostHarness [-Dexec.args="2000"]}
 */
public final class IncrementalCostHarness {

  private static final ServiceKey KEY = ServiceKey.of("default", "hostnames", 80);
  private static final ServiceInfo INFO = new ServiceInfo(ServiceInfo.Type.CLUSTER_IP,
      ServiceInfo.SessionAffinity.NONE, ServiceInfo.DEFAULT_AFFINITY_TIMEOUT, ServiceInfo.TrafficDistribution.NONE,
      false, List.of(new ServicePort("default", 80, "9376", "TCP", null)), Map.of(), null);

  private IncrementalCostHarness() {}

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    OnceLog onceLog = new OnceLog(LoggerFactory.getLogger(IncrementalCostHarness.class));
    Map<String, SliceRecord> slices = new HashMap<>();
    for (int s = 0; s < 100; s++) {
      slices.put("default/slice-" + s, slice(s, 0));
    }
    List<List<Endpoint>> published = new ArrayList<>();
    PortView view = new PortView(KEY, new EndpointSource.Listener() {
      @Override
      public void onState(SourceState state) {
        published.add(state.endpoints());
        if (published.size() > 2) {
          published.remove(0);
        }
      }

      @Override
      public void onFailure(String reason, Throwable cause) {}
    }, null, onceLog, io.kdiscovery.model.RoutableAddresses.of(io.kdiscovery.model.RoutableAddresses.Loopback.DENY, false));

    long beforeAlone = usedHeap();
    List<Endpoint> alone = EndpointTranslator.fromSlices(slices.values(), PortMatch.resolve(KEY, INFO, onceLog), onceLog);
    long afterAlone = usedHeap();
    System.out.printf("the %d Endpoint objects alone (model): ≈ %d bytes each%n", alone.size(),
        (afterAlone - beforeAlone) / alone.size());
    alone = null;
    long before = usedHeap();
    view.syncSlices(INFO, slices);
    view.publish(INFO, true, null, null);
    long after = usedHeap();
    System.out.printf("port state: %d endpoints, retained ≈ %d bytes per endpoint (heap delta after GC,"
        + " merged set + published list + translated endpoints; the slices' compact records excluded)%n",
        view.size(), (after - before) / Math.max(1, view.size()));

    PortMatch match = PortMatch.resolve(KEY, INFO, onceLog);
    long[] incremental = new long[rounds];
    long[] full = new long[rounds];
    long[] translateOnly = new long[rounds];
    List<Endpoint> previous = EndpointTranslator.fromSlices(slices.values(), match, onceLog);
    for (int r = 0; r < rounds; r++) {
      // The same change both ways: one endpoint of one slice flips ready.
      int s = r % 100;
      SliceRecord changed = slice(s, r + 1);
      slices.put("default/slice-" + s, changed);

      long tt = System.nanoTime();
      EndpointTranslator.fromSlice(changed, match, onceLog);
      translateOnly[r] = System.nanoTime() - tt;
      long t0 = System.nanoTime();
      view.sliceChanged("default/slice-" + s, changed);
      view.publish(INFO, true, null, null);
      long t1 = System.nanoTime();
      List<Endpoint> rebuilt = EndpointTranslator.fromSlices(slices.values(), match, onceLog);
      boolean same = rebuilt.equals(previous);
      long t2 = System.nanoTime();
      previous = rebuilt;
      incremental[r] = t1 - t0;
      full[r] = t2 - t1;
      if (same || !published.get(published.size() - 1).equals(rebuilt)) {
        throw new IllegalStateException("the two paths disagree at round " + r);
      }
    }
    report("incremental (one slice re-translated and merged)", incremental, rounds);
    report("of which: translating the one slice (100 endpoints)", translateOnly, rounds);
    report("full rebuild (every slice translated, sorted, compared)", full, rounds);
  }

  private static void report(String what, long[] nanos, int rounds) {
    long[] measured = Arrays.copyOfRange(nanos, rounds / 4, rounds); // the first quarter warms up
    Arrays.sort(measured);
    System.out.printf("%-58s median %7.1f µs  p99 %7.1f µs  (n=%d)%n", what,
        measured[measured.length / 2] / 1e3, measured[(int) (measured.length * 0.99)] / 1e3, measured.length);
  }

  private static final SliceRecord.Interner INTERNER = new SliceRecord.Interner();

  private static SliceRecord slice(int s, int round) {
    Hostnames.SliceBuilder builder = Hostnames.slice("slice-" + s);
    for (int i = 0; i < 100; i++) {
      String ip = "10." + (s / 250) + "." + (s % 250) + "." + (i + 1);
      if (round > 0 && i == (round / 100) % 100) { // each visit of a slice moves its not-ready pod
        builder.notReady("pod-" + s + "-" + i, ip);
      } else {
        builder.ready("pod-" + s + "-" + i, ip);
      }
    }
    return SliceRecord.of(new EndpointSliceBuilder(builder.build()).editMetadata()
        .withResourceVersion(Integer.toString(s * 100_000 + round)).endMetadata().build(), INTERNER);
  }

  private static long usedHeap() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
