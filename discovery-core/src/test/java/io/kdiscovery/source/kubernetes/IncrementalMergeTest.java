package io.kdiscovery.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.RoutableAddresses;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServicePort;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.SourceState;
import io.kdiscovery.testing.Hostnames;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The incremental path (one slice re-translated, merged into the port's set) always yields what a
 * full translation of every slice yields, and does no work for a slice it has seen already. The table
 * is a function of the current slices alone: of records of one address in several slices with equal
 * rank, the same one is kept whatever the order of past events (and whatever order the full
 * translation reads the slices in).
 */
class IncrementalMergeTest {

  private static final ServiceKey KEY = ServiceKey.of("default", "hostnames", 80);
  private static final ServiceInfo INFO = new ServiceInfo(ServiceInfo.Type.CLUSTER_IP, ServiceInfo.SessionAffinity.NONE,
      ServiceInfo.DEFAULT_AFFINITY_TIMEOUT, ServiceInfo.TrafficDistribution.NONE, false,
      List.of(new ServicePort("default", 80, "9376", "TCP", null)), Map.of(), null);

  private final List<SourceState> states = new ArrayList<>();
  private final PortView view = new PortView(KEY, new EndpointSource.Listener() {
    @Override
    public void onState(SourceState state) {
      states.add(state);
    }

    @Override
    public void onFailure(String reason, Throwable cause) {
      throw new AssertionError(reason, cause);
    }
  }, null, new OnceLog(LoggerFactory.getLogger(IncrementalMergeTest.class)),
      RoutableAddresses.of(RoutableAddresses.Loopback.DENY, false));

  private final SliceRecord.Interner interner = new SliceRecord.Interner();

  @Test
  void aThousandRandomSliceChangesAlwaysMergeToWhatAFullTranslationGives() {
    Random random = new Random(42);
    Map<String, SliceRecord> slices = new HashMap<>();
    view.syncSlices(INFO, slices);
    int version = 0;
    for (int step = 0; step < 1000; step++) {
      String name = "slice-" + random.nextInt(12);
      if (random.nextInt(5) == 0) {
        slices.remove(name);
        view.sliceRemoved("default/" + name);
      } else {
        Hostnames.SliceBuilder builder = Hostnames.slice(name);
        int count = random.nextInt(6);
        for (int i = 0; i < count; i++) {
          // A small address space, so that slices share addresses (a pod moving between slices), and
          // records that differ by slice (pod name), so that which one the table keeps shows.
          String ip = "10.0.0." + random.nextInt(30);
          String pod = "pod-" + ip + "-in-" + name;
          switch (random.nextInt(3)) {
            case 0 -> builder.ready(pod, ip);
            case 1 -> builder.notReady(pod, ip);
            default -> builder.terminating(pod, ip);
          }
        }
        SliceRecord slice = SliceRecord.of(new EndpointSliceBuilder(builder.build()).editMetadata()
            .withResourceVersion(Integer.toString(++version)).endMetadata().build(), interner);
        slices.put(name, slice);
        view.sliceChanged("default/" + name, slice);
      }
      view.publish(INFO, true, null, null);
      List<SliceRecord> current = new ArrayList<>(slices.values());
      List<Endpoint> full = fullTranslation(current);
      Collections.shuffle(current, random);
      assertThat(fullTranslation(current)).as("step %d, slices in another order", step).isEqualTo(full);
      List<Endpoint> incremental = states.isEmpty() ? List.of() : states.get(states.size() - 1).endpoints();
      // Endpoint.equals compares the whole record (pod name included), so this checks which one is kept.
      assertThat(incremental).as("step %d", step).containsExactlyElementsOf(full);
    }
  }

  private static List<Endpoint> fullTranslation(List<SliceRecord> slices) {
    OnceLog log = new OnceLog(LoggerFactory.getLogger(IncrementalMergeTest.class));
    return EndpointTranslator.fromSlices(slices, PortMatch.resolve(KEY, INFO, log), log);
  }

  @Test
  void ofTwoEquallyFitRecordsOfOneAddressTheFirstSliceByNameIsKeptWhateverTheOrderOfEvents() {
    SliceRecord a = slice("a", "pod-in-a", 1);
    SliceRecord b = slice("b", "pod-in-b", 2);
    view.syncSlices(INFO, Map.of());
    view.sliceChanged("default/b", b);
    view.sliceChanged("default/a", a);
    view.publish(INFO, true, null, null);
    assertThat(states.get(states.size() - 1).endpoints()).extracting(Endpoint::podName).containsExactly("pod-in-a");

    SliceRecord c = slice("c", "pod-in-c", 3);
    view.sliceChanged("default/c", c);
    view.sliceRemoved("default/a");
    view.publish(INFO, true, null, null);
    assertThat(states.get(states.size() - 1).endpoints()).extracting(Endpoint::podName).containsExactly("pod-in-b");
    assertThat(fullTranslation(List.of(c, b))).extracting(Endpoint::podName).containsExactly("pod-in-b");
  }

  private SliceRecord slice(String name, String pod, int version) {
    return SliceRecord.of(new EndpointSliceBuilder(Hostnames.slice(name).ready(pod, "10.0.0.1").build())
        .editMetadata().withResourceVersion(Integer.toString(version)).endMetadata().build(), interner);
  }

  @Test
  void aSliceSeenAlreadyCostsNothingAndAnUnchangedPortIsNotPublishedAgain() {
    SliceRecord slice = SliceRecord.of(new EndpointSliceBuilder(Hostnames.slice("a").ready("p1", "10.0.0.1").build())
        .editMetadata().withResourceVersion("7").endMetadata().build(), interner);
    view.syncSlices(INFO, Map.of("default/a", slice));
    view.publish(INFO, true, null, null);
    List<Endpoint> first = states.get(0).endpoints();

    view.sliceChanged("default/a", slice); // the same resourceVersion again, as after a relist
    view.publish(INFO, true, null, null);

    assertThat(states).hasSize(1);
    assertThat(states.get(0).changeTracked()).isTrue();
    assertThat(first).extracting(Endpoint::address).containsExactly("10.0.0.1");
  }
}
