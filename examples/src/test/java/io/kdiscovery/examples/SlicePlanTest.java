package io.kdiscovery.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The demo's EndpointSlice controller publishes what Kubernetes' does. */
class SlicePlanTest {

  @Test
  void onePerHundredPodsAndOneEmptySliceForNone() {
    List<SlicePlan.PodState> pods = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      pods.add(new SlicePlan.PodState("p" + i, "10.0." + (i / 200) + "." + (i % 200 + 1), "zone-a", "node-1", true,
          false));
    }
    List<EndpointSlice> slices = SlicePlan.slices("default", "web", "http", 8080, pods);
    assertThat(slices).extracting(s -> s.getEndpoints().size()).containsExactly(100, 100, 50);
    assertThat(slices).extracting(s -> s.getMetadata().getName()).containsExactly("web-0", "web-1", "web-2");
    assertThat(slices).allSatisfy(s -> {
      assertThat(s.getMetadata().getLabels()).containsEntry("kubernetes.io/service-name", "web");
      assertThat(s.getPorts()).singleElement().satisfies(p -> {
        assertThat(p.getName()).isEqualTo("http");
        assertThat(p.getPort()).isEqualTo(8080);
      });
    });
    assertThat(SlicePlan.slices("default", "web", "http", 8080, List.of()))
        .singleElement().satisfies(s -> assertThat(s.getEndpoints()).isEmpty());
  }

  @Test
  void everySliceIsStampedWithItsChangeTriggerTimeAsTheControllerDoes() {
    java.time.Instant trigger = java.time.Instant.parse("2026-03-01T10:00:00.123456789Z");
    List<SlicePlan.PodState> pods = List.of(new SlicePlan.PodState("p1", "127.0.0.11", "zone-a", "node-1", true, false));
    assertThat(SlicePlan.slices("default", "web", "http", 8080, pods, trigger)).singleElement()
        .satisfies(s -> assertThat(s.getMetadata().getAnnotations())
            .containsEntry("endpoints.kubernetes.io/last-change-trigger-time", "2026-03-01T10:00:00.123456789Z"));
  }

  @Test
  void conditionsFollowReadinessAndTermination() {
    // probe passes, terminating -> ready, serving, terminating
    assertThat(conditions(true, false)).containsExactly(true, true, false);
    assertThat(conditions(false, false)).containsExactly(false, false, false);
    assertThat(conditions(true, true)).containsExactly(false, true, true);
    assertThat(conditions(false, true)).containsExactly(false, false, true);
  }

  @Test
  void podsKeepTheirOrderByAddressNotByName() {
    List<SlicePlan.PodState> pods = List.of(
        new SlicePlan.PodState("b", "127.0.0.12", "z", "n", true, false),
        new SlicePlan.PodState("a", "127.0.0.9", "z", "n", true, false));
    assertThat(SlicePlan.slices("default", "web", "http", 80, pods).get(0).getEndpoints())
        .extracting(e -> e.getAddresses().get(0)).containsExactly("127.0.0.9", "127.0.0.12");
    assertThat(SlicePlan.signature(pods)).isEqualTo("127.0.0.9=RS-,127.0.0.12=RS-");
  }

  private static List<Boolean> conditions(boolean probePasses, boolean terminating) {
    EndpointConditions c = SlicePlan.slices("default", "web", "http", 80,
        List.of(new SlicePlan.PodState("p", "10.0.0.1", "z", "n", probePasses, terminating)))
        .get(0).getEndpoints().get(0).getConditions();
    return List.of(c.getReady(), c.getServing(), c.getTerminating());
  }
}
