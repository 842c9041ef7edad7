package io.kdiscovery.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The one usable rule, over the whole table of its inputs. */
class UsabilityTest {

  enum Use { IN_SERVICE, FALLBACK, UNUSED }

  private static final ServiceKey KEY = ServiceKey.of("default", "hostnames", 80);

  /**
   * Every combination of unset / true / false for the three conditions, as the API server sends them,
   * with and without {@code publishNotReadyAddresses} on the Service: kube-proxy's categories
   * ({@code CategorizeEndpoints}: {@code IsReady}, else {@code IsServing && IsTerminating} when none is
   * ready). The Service's flag changes what the EndpointSlice controller writes, never the rule.
   */
  @ParameterizedTest(name = "ready={0} serving={1} terminating={2} -> {3}")
  @CsvSource(nullValues = "unset", value = {
      "unset, unset, unset, IN_SERVICE",
      "unset, unset, true,  IN_SERVICE",
      "unset, unset, false, IN_SERVICE",
      "unset, true,  unset, IN_SERVICE",
      "unset, true,  true,  IN_SERVICE",
      "unset, true,  false, IN_SERVICE",
      "unset, false, unset, IN_SERVICE",
      "unset, false, true,  IN_SERVICE",
      "unset, false, false, IN_SERVICE",
      "true,  unset, unset, IN_SERVICE",
      "true,  unset, true,  IN_SERVICE",
      "true,  unset, false, IN_SERVICE",
      "true,  true,  unset, IN_SERVICE",
      "true,  true,  true,  IN_SERVICE",
      "true,  true,  false, IN_SERVICE",
      "true,  false, unset, IN_SERVICE",
      "true,  false, true,  IN_SERVICE",
      "true,  false, false, IN_SERVICE",
      "false, unset, unset, UNUSED",
      "false, unset, true,  UNUSED",
      "false, unset, false, UNUSED",
      "false, true,  unset, UNUSED",
      "false, true,  true,  FALLBACK",
      "false, true,  false, UNUSED",
      "false, false, unset, UNUSED",
      "false, false, true,  UNUSED",
      "false, false, false, UNUSED"})
  void everyCombinationOfConditionsHasOneUse(Boolean ready, Boolean serving, Boolean terminating, Use use) {
    EndpointConditions c = EndpointConditions.of(ready, serving, terminating);
    Endpoint alone = Endpoint.builder("10.244.0.5", 9376).conditions(c).build();
    Endpoint inService = Endpoint.of("10.244.0.9", 9376);

    assertThat(Usability.inService(c)).isEqualTo(use == Use.IN_SERVICE);
    assertThat(Usability.fallback(c)).isEqualTo(use == Use.FALLBACK);
    // Alone, a fallback endpoint is used; next to an endpoint in service, only in-service ones are.
    assertThat(Usability.usable(List.of(alone))).isEqualTo(use == Use.UNUSED ? List.of() : List.of(alone));
    assertThat(Usability.usable(List.of(alone, inService)))
        .isEqualTo(use == Use.IN_SERVICE ? List.of(alone, inService) : List.of(inService));
    for (boolean publishNotReady : new boolean[] {false, true}) {
      assertThat(snapshot(publishNotReady, alone).usableEndpoints())
          .as("publishNotReadyAddresses=%s", publishNotReady)
          .isEqualTo(use == Use.UNUSED ? List.of() : List.of(alone));
      assertThat(snapshot(publishNotReady, alone, inService).usableEndpoints())
          .as("publishNotReadyAddresses=%s, next to a ready endpoint", publishNotReady)
          .isEqualTo(use == Use.IN_SERVICE ? List.of(alone, inService) : List.of(inService));
    }
  }

  /**
   * The four states of a pod's life as the EndpointSlice controller publishes them. Without
   * {@code publishNotReadyAddresses} only the running pod gets traffic (the serving-terminating one
   * when nothing else is left); with it, every published pod does, as through the Service's VIP: that
   * is what the Service asked for (a StatefulSet's peers reaching each other while they start).
   */
  @ParameterizedTest(name = "publishNotReadyAddresses={0}")
  @ValueSource(booleans = {false, true})
  void publishNotReadyAddressesRoutesToEveryPublishedPodAsKubeProxyDoes(boolean publishNotReady) {
    Endpoint starting = pod(1, publishNotReady, false, false);
    Endpoint running = pod(2, publishNotReady, true, false);
    Endpoint drainingButServing = pod(3, publishNotReady, true, true);
    Endpoint draining = pod(4, publishNotReady, false, true);
    if (publishNotReady) {
      assertThat(List.of(starting, running, drainingButServing, draining))
          .allSatisfy(e -> assertThat(e.conditions().ready()).isTrue());
      assertThat(snapshot(true, starting, running, drainingButServing, draining).usableEndpoints())
          .containsExactly(starting, running, drainingButServing, draining);
      assertThat(snapshot(true, starting, draining).usableEndpoints()).containsExactly(starting, draining);
    } else {
      assertThat(snapshot(false, starting, running, drainingButServing, draining).usableEndpoints())
          .containsExactly(running);
      assertThat(snapshot(false, starting, drainingButServing, draining).usableEndpoints())
          .containsExactly(drainingButServing);
      assertThat(snapshot(false, starting, draining).usableEndpoints()).isEmpty();
    }
  }

  @Test
  void theTerminatingFallbackTakesEveryServingTerminatingPodAndOnlyWhileNoneIsReady() {
    List<Endpoint> rolling = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      rolling.add(pod(i, false, true, true));
    }
    rolling.add(pod(4, false, false, true));
    assertThat(snapshot(false, rolling.toArray(new Endpoint[0])).usableEndpoints())
        .containsExactly(rolling.get(0), rolling.get(1), rolling.get(2));

    Endpoint replacement = pod(9, false, true, false);
    rolling.add(replacement);
    assertThat(snapshot(false, rolling.toArray(new Endpoint[0])).usableEndpoints())
        .containsExactly(replacement);
  }

  /** Conditions as the EndpointSlice controller writes them for a pod (kubernetes pkg/controller/endpointslice). */
  private static Endpoint pod(int i, boolean publishNotReady, boolean podReady, boolean deleting) {
    boolean ready = publishNotReady || (podReady && !deleting);
    return Endpoint.builder("10.244.0." + i, 9376).podName("hostnames-" + i)
        .conditions(EndpointConditions.of(ready, podReady, deleting)).build();
  }

  private static ServiceSnapshot snapshot(boolean publishNotReady, Endpoint... endpoints) {
    ServiceInfo service = new ServiceInfo(ServiceInfo.Type.CLUSTER_IP, ServiceInfo.SessionAffinity.NONE,
        ServiceInfo.DEFAULT_AFFINITY_TIMEOUT, ServiceInfo.TrafficDistribution.NONE, publishNotReady,
        List.of(), Map.of(), null);
    return new ServiceSnapshot(KEY, 1, Instant.EPOCH, true, service, List.of(endpoints));
  }
}
