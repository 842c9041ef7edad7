package io.kdiscovery.source.kubernetes;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServicePort;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.management.ObjectName;
import org.slf4j.LoggerFactory;

/**
 * {@link HeapPartsHarness}'s parts, class by class: the same 10 000 endpoints in 100 slices, with the
 * JVM's own live-object class histogram (the {@code GC.class_histogram} diagnostic command, after a
 * full collection) taken before and after each part, so every byte of a part is named by the class
 * that holds it. Prints, per part, the classes that grew, in bytes per endpoint and instances per
 * endpoint.
 *
 * <p>Run as {@link HeapPartsHarness}: {@code java -XX:+UseSerialGC -cp
 * discovery-core/target/test-classes:discovery-core/target/classes:$(cat /tmp/cp.txt)
 * io.kdiscovery.source.kubernetes.HeapClassesHarness}
 */
public final class HeapClassesHarness {

  private static final int ENDPOINTS = 10_000;

  private HeapClassesHarness() {}

  public static void main(String[] args) throws Exception {
    OnceLog onceLog = new OnceLog(LoggerFactory.getLogger(HeapClassesHarness.class));
    ServiceKey key = ServiceKey.of("bench", "big", 80);
    ServiceInfo info = new ServiceInfo(ServiceInfo.Type.CLUSTER_IP, ServiceInfo.SessionAffinity.NONE,
        ServiceInfo.DEFAULT_AFFINITY_TIMEOUT, ServiceInfo.TrafficDistribution.NONE, false,
        List.of(new ServicePort("http", 80, "http", "TCP", null)), Map.of(), null);
    PortMatch match = PortMatch.resolve(key, info, onceLog);
    for (int s = 0; s < 20; s++) { // warm-up, as HeapPartsHarness
      EndpointTranslator.fromSlice(SliceRecord.of(HeapPartsHarness.parsed(s), new SliceRecord.Interner()), match,
          onceLog);
    }
    MergedEndpoints warm = new MergedEndpoints();
    warm.put("warm", EndpointTranslator.fromSlice(SliceRecord.of(HeapPartsHarness.parsed(0),
        new SliceRecord.Interner()), match, onceLog));
    warm.endpoints();
    histogram(); // the diagnostic command's own classes and caches, loaded before measuring
    print("(nothing: the harness's own noise)", histogram(), histogram());

    Map<String, long[]> before = histogram();
    Map<String, SliceRecord> records = HeapPartsHarness.records();
    Map<String, long[]> afterRecords = histogram();
    print("compact slice records", before, afterRecords);

    List<List<Endpoint>> translated = new ArrayList<>();
    for (SliceRecord record : records.values()) {
      translated.add(EndpointTranslator.fromSlice(record, match, onceLog));
    }
    Map<String, long[]> afterTranslated = histogram();
    print("translated Endpoints (per slice lists included)", afterRecords, afterTranslated);

    MergedEndpoints merged = new MergedEndpoints();
    int i = 0;
    for (List<Endpoint> list : translated) {
      merged.put("slice-" + i++, list);
    }
    List<Endpoint> published = merged.endpoints();
    Map<String, long[]> afterMerged = histogram();
    print("merge state and published list", afterTranslated, afterMerged);
    print("in all", before, afterMerged);
    if (published.size() != ENDPOINTS || records.size() * 100 != ENDPOINTS || warm.size() == 0) {
      throw new IllegalStateException("expected " + ENDPOINTS + " endpoints, got " + published.size());
    }
  }

  /** Live bytes and instances per class, from the JVM's class histogram (it collects first). */
  private static Map<String, long[]> histogram() throws Exception {
    String text = (String) ManagementFactory.getPlatformMBeanServer().invoke(
        new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
        new Object[] {new String[0]}, new String[] {String[].class.getName()});
    Map<String, long[]> classes = new HashMap<>();
    for (String line : text.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 4 && f[0].endsWith(":")) {
        classes.put(f[3], new long[] {Long.parseLong(f[2]), Long.parseLong(f[1])});
      }
    }
    return classes;
  }

  private static void print(String part, Map<String, long[]> before, Map<String, long[]> after) {
    Map<String, long[]> grown = new HashMap<>();
    long total = 0;
    for (Map.Entry<String, long[]> e : after.entrySet()) {
      long[] was = before.getOrDefault(e.getKey(), new long[2]);
      long bytes = e.getValue()[0] - was[0];
      long count = e.getValue()[1] - was[1];
      if (bytes != 0) {
        grown.put(e.getKey(), new long[] {bytes, count});
        total += bytes;
      }
    }
    System.out.printf("%s: %d B per endpoint%n", part, total / ENDPOINTS);
    grown.entrySet().stream()
        .filter(e -> Math.abs(e.getValue()[0]) >= ENDPOINTS) // at least 1 B per endpoint
        .sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) -> e.getValue()[0]).reversed())
        .forEach(e -> System.out.printf("  %-60s %6.1f B  %5.2f objects per endpoint%n", e.getKey(),
            (double) e.getValue()[0] / ENDPOINTS, (double) e.getValue()[1] / ENDPOINTS));
  }
}
