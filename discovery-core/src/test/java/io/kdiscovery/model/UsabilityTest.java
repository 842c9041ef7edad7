package io.kdiscovery.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The one usable rule, over the whole table of its inputs. */
class UsabilityTest {

  enum Use { IN_SERVICE, FALLBACK, UNUSED }

  private static final ServiceKey KEY = ServiceKey.of("default", "hostnames", 80);

  /** Every combination of unset / true / false for the three conditions, as the API server sends them. */
  @ParameterizedTest(name = "ready={0} serving={1} terminating={2} -> {3}")
  @CsvSource(nullValues = "unset", value = {
      "unset, unset, unset, IN_SERVICE",
      "unset, unset, true,  FALLBACK",
      "unset, unset, false, IN_SERVICE",
      "unset, true,  unset, IN_SERVICE",
      "unset, true,  true,  FALLBACK",
      "unset, true,  false, IN_SERVICE",
      "unset, false, unset, UNUSED",
      "unset, false, true,  UNUSED",
      "unset, false, false, UNUSED",
      "true,  unset, unset, IN_SERVICE",
      "true,  unset, true,  FALLBACK",
      "true,  unset, false, IN_SERVICE",
      "true,  true,  unset, IN_SERVICE",
      "true,  true,  true,  FALLBACK",
      "true,  true,  false, IN_SERVICE",
      "true,  false, unset, UNUSED",
      "true,  false, true,  UNUSED",
      "true,  false, false, UNUSED",
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
  }

  /**
   * The four states of a pod's life as the EndpointSlice controller publishes them, with and without
   * {@code publishNotReadyAddresses} (which forces {@code ready: true}): the same pods are usable.
   */
  @ParameterizedTest(name = "publishNotReadyAddresses={0}")
  @ValueSource(booleans = {false, true})
  void publishNotReadyAddressesNeverSendsTrafficToAPodThatIsStartingOrShuttingDown(boolean publishNotReady) {
    Endpoint starting = pod(1, publishNotReady, false, false);
    Endpoint running = pod(2, publishNotReady, true, false);
    Endpoint drainingButServing = pod(3, publishNotReady, true, true);
    Endpoint draining = pod(4, publishNotReady, false, true);
    if (publishNotReady) {
      assertThat(List.of(starting, running, drainingButServing, draining))
          .allSatisfy(e -> assertThat(e.conditions().ready()).isTrue());
    }

    assertThat(snapshot(publishNotReady, starting, running, drainingButServing, draining).usableEndpoints())
        .containsExactly(running);
    assertThat(snapshot(publishNotReady, starting, drainingButServing, draining).usableEndpoints())
        .containsExactly(drainingButServing);
    assertThat(snapshot(publishNotReady, starting, draining).usableEndpoints()).isEmpty();
  }

  @ParameterizedTest(name = "publishNotReadyAddresses={0}")
  @ValueSource(booleans = {false, true})
  void theTerminatingFallbackTakesEveryServingTerminatingPodAndOnlyWhileNoneIsInService(boolean publishNotReady) {
    List<Endpoint> rolling = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      rolling.add(pod(i, publishNotReady, true, true));
    }
    rolling.add(pod(4, publishNotReady, false, true));
    assertThat(snapshot(publishNotReady, rolling.toArray(new Endpoint[0])).usableEndpoints())
        .containsExactly(rolling.get(0), rolling.get(1), rolling.get(2));

    Endpoint replacement = pod(9, publishNotReady, true, false);
    rolling.add(replacement);
    assertThat(snapshot(publishNotReady, rolling.toArray(new Endpoint[0])).usableEndpoints())
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
