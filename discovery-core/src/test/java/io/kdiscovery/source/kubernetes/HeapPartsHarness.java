package io.kdiscovery.source.kubernetes;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServicePort;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Where the heap of a watched Service goes, part by part, for 10 000 endpoints in 100 slices of one
 * port (the benchmarks' fixture: zone, node and Pod targetRef per endpoint): the fabric8 slices as
 * parsed from JSON, the compact records the watch keeps instead, the translated {@link Endpoint}s
 * and the port's merge state. Each figure is the heap delta after full collections around building
 * that part while the previous ones stay reachable; run with {@code -XX:+UseSerialGC}.
 *
 * <p>Run (after {@code mvn -B -q -o -pl discovery-core -am test-compile} and writing the test
 * classpath to /tmp/cp.txt with {@code dependency:build-classpath}, as for
 * {@link IncrementalCostHarness}): {@code java -XX:+UseSerialGC -cp
 * discovery-core/target/test-classes:discovery-core/target/classes:$(cat /tmp/cp.txt)
 * io.kdiscovery.source.kubernetes.HeapPartsHarness}
 */
public final class HeapPartsHarness {

  private static final int ENDPOINTS = 10_000;
  private static final int PER_SLICE = 100;

  private HeapPartsHarness() {}

  public static void main(String[] args) {
    OnceLog onceLog = new OnceLog(LoggerFactory.getLogger(HeapPartsHarness.class));
    ServiceKey key = ServiceKey.of("bench", "big", 80);
    ServiceInfo info = new ServiceInfo(ServiceInfo.Type.CLUSTER_IP, ServiceInfo.SessionAffinity.NONE,
        ServiceInfo.DEFAULT_AFFINITY_TIMEOUT, ServiceInfo.TrafficDistribution.NONE, false,
        List.of(new ServicePort("http", 80, "http", "TCP", null)), Map.of(), null);
    PortMatch match = PortMatch.resolve(key, info, onceLog);
    for (int s = 0; s < 20; s++) { // warm-up: the JSON mapper's caches and every class loaded before measuring
      EndpointTranslator.fromSlice(SliceRecord.of(parsed(s), new SliceRecord.Interner()), match, onceLog);
    }

    long start = usedHeap();
    List<EndpointSlice> fabric8 = new ArrayList<>();
    for (int s = 0; s < ENDPOINTS / PER_SLICE; s++) {
      fabric8.add(parsed(s));
    }
    long afterFabric8 = usedHeap();
    report("fabric8 EndpointSlices as parsed (what was kept before)", afterFabric8 - start);
    fabric8.clear();

    long beforeRecords = usedHeap();
    Map<String, SliceRecord> records = records();
    long afterRecords = usedHeap();
    report("compact slice records (what the watch keeps)", afterRecords - beforeRecords);

    List<List<Endpoint>> translated = new ArrayList<>();
    for (SliceRecord record : records.values()) {
      translated.add(EndpointTranslator.fromSlice(record, match, onceLog));
    }
    long afterTranslated = usedHeap();
    report("translated Endpoints (per slice lists included)", afterTranslated - afterRecords);

    MergedEndpoints merged = new MergedEndpoints();
    int i = 0;
    for (List<Endpoint> list : translated) {
      merged.put("slice-" + i++, list);
    }
    List<Endpoint> published = merged.endpoints();
    long afterMerged = usedHeap();
    report("merge state and published list", afterMerged - afterTranslated);
    report("in all, records + Endpoints + merge state", afterMerged - beforeRecords);
    if (published.size() != ENDPOINTS || records.size() != ENDPOINTS / PER_SLICE) {
      throw new IllegalStateException("expected " + ENDPOINTS + " endpoints, got " + published.size());
    }
  }

  static Map<String, SliceRecord> records() {
    SliceRecord.Interner interner = new SliceRecord.Interner();
    Map<String, SliceRecord> records = new HashMap<>();
    for (int s = 0; s < ENDPOINTS / PER_SLICE; s++) {
      SliceRecord record = SliceRecord.of(parsed(s), interner);
      records.put(record.key, record);
    }
    return records;
  }

  private static void report(String what, long bytes) {
    System.out.printf("%-58s %5d B per endpoint%n", what, bytes / ENDPOINTS);
  }

  /** Slice {@code index}, as the client would hold it: parsed from JSON, every string its own. */
  static EndpointSlice parsed(int index) {
    List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> endpoints = new ArrayList<>();
    for (int i = index * PER_SLICE; i < (index + 1) * PER_SLICE; i++) {
      String ip = "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255);
      endpoints.add(new EndpointBuilder().withAddresses(ip)
          .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions()
          .withNodeName("node-" + (i % 7)).withZone("zone-" + (i % 3))
          .withNewTargetRef().withKind("Pod").withName("big-" + i).withNamespace("bench").endTargetRef().build());
    }
    EndpointSlice slice = new EndpointSliceBuilder().withNewMetadata().withName("big-" + index).withNamespace("bench")
        .addToLabels(WatchGroup.SERVICE_NAME_LABEL, "big").withResourceVersion(Integer.toString(1000 + index))
        .endMetadata().withAddressType("IPv4")
        .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort()
        .withEndpoints(endpoints).build();
    return Serialization.unmarshal(Serialization.asJson(slice), EndpointSlice.class);
  }

  private static long usedHeap() {
    for (int i = 0; i < 4; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
