package io.kdiscovery.balancing;

import static io.kdiscovery.balancing.Snapshots.countPicks;
import static io.kdiscovery.balancing.Snapshots.pod;
import static io.kdiscovery.balancing.Snapshots.pods;
import static io.kdiscovery.balancing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.kdiscovery.health.OutlierDetection;
import io.kdiscovery.health.SlowStart;
import io.kdiscovery.model.Endpoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Outlier detection and slow start, inside a balancer, on fake time. */
class PassiveHealthTest {

  private final FakeTicker ticker = new FakeTicker();

  private RealLoadBalancer balancer(OutlierDetection outlier, int endpoints) {
    RealLoadBalancer balancer = (RealLoadBalancer) LoadBalancer.builder().ticker(ticker)
        .outlierDetection(outlier).build();
    balancer.update(snapshot(1, pods(endpoints)));
    return balancer;
  }

  /** Reports an outcome for {@code endpoint} the way a caller would: on a pick of it. */
  private static Pick pickOf(LoadBalancer balancer, Endpoint endpoint) {
    for (int i = 0; i < 1_000; i++) {
      Pick pick = balancer.pick();
      if (pick.endpoint().equals(endpoint)) {
        return pick;
      }
      pick.cancel();
    }
    throw new AssertionError(endpoint + " is never picked");
  }

  @Test
  void consecutiveFailuresEjectAnEndpoint() {
    RealLoadBalancer balancer = balancer(OutlierDetection.builder().consecutiveFailures(3).build(), 3);
    for (int i = 0; i < 3; i++) {
      pickOf(balancer, pod(2)).failure(1_000);
    }
    assertThat(countPicks(balancer, 300)).doesNotContainKey(pod(2));
  }

  @Test
  void aSuccessResetsTheFailureCount() {
    RealLoadBalancer balancer = balancer(OutlierDetection.builder().consecutiveFailures(3).build(), 3);
    pickOf(balancer, pod(2)).failure(1_000);
    pickOf(balancer, pod(2)).failure(1_000);
    pickOf(balancer, pod(2)).success(1_000);
    pickOf(balancer, pod(2)).failure(1_000);
    assertThat(countPicks(balancer, 300)).containsKey(pod(2));
  }

  @Test
  void aConnectFailureEjectsAtOnce() {
    RealLoadBalancer balancer = balancer(OutlierDetection.defaults(), 3);
    pickOf(balancer, pod(1)).connectFailure();
    assertThat(countPicks(balancer, 300)).doesNotContainKey(pod(1));
  }

  @Test
  void theHealthViewShowsEjectionsAndRequestsInFlight() {
    RealLoadBalancer balancer = (RealLoadBalancer) LoadBalancer.builder().ticker(ticker)
        .policy(Policy.LEAST_REQUEST).build();
    assertThat(balancer.health()).isEmpty();
    balancer.update(snapshot(1, pods(3)));
    pickOf(balancer, pod(1)).connectFailure();
    ticker.advance(Duration.ofSeconds(10));
    Pick open = pickOf(balancer, pod(2));

    Map<Endpoint, EndpointHealth> byEndpoint = new java.util.HashMap<>();
    balancer.health().forEach(h -> byEndpoint.put(h.endpoint(), h));
    assertThat(byEndpoint).containsOnlyKeys(pods(3));
    assertThat(byEndpoint.get(pod(1)).ejected()).isTrue();
    assertThat(byEndpoint.get(pod(1)).ejectedFor()).isEqualTo(Duration.ofSeconds(20));
    assertThat(byEndpoint.get(pod(1)).ejections()).isEqualTo(1);
    assertThat(byEndpoint.get(pod(2)).inFlight()).isEqualTo(1);
    assertThat(byEndpoint.get(pod(2)).ejected()).isFalse();
    assertThat(byEndpoint.get(pod(2)).ejectedFor()).isEqualTo(Duration.ZERO);
    assertThat(balancer.ejections()).isEqualTo(1);

    open.success(1_000);
    ticker.advance(Duration.ofSeconds(20));
    assertThat(balancer.health()).allSatisfy(h -> {
      assertThat(h.ejected()).isFalse();
      assertThat(h.inFlight()).isZero();
    });
    assertThat(balancer.ejections()).isEqualTo(1);
  }

  @Test
  void anEjectedEndpointReturnsWhenItsEjectionTimeIsOver() {
    RealLoadBalancer balancer = balancer(OutlierDetection.defaults(), 3);
    pickOf(balancer, pod(1)).connectFailure();
    ticker.advance(Duration.ofSeconds(29));
    assertThat(countPicks(balancer, 300)).doesNotContainKey(pod(1));
    ticker.advance(Duration.ofSeconds(1));
    assertThat(countPicks(balancer, 300)).containsKey(pod(1));
    assertThat(balancer.ejectedCount()).isZero();
  }

  @Test
  void repeatedEjectionsLastLongerEachTimeUpToTheMaximum() {
    OutlierDetection outlier = OutlierDetection.builder().baseEjectionTime(Duration.ofSeconds(10))
        .maxEjectionTime(Duration.ofSeconds(25)).build();
    RealLoadBalancer balancer = balancer(outlier, 3);
    List<Long> ejectionSeconds = new ArrayList<>();
    for (int round = 0; round < 4; round++) {
      pickOf(balancer, pod(1)).connectFailure();
      long seconds = 0;
      while (!countPicks(balancer, 30).containsKey(pod(1))) {
        ticker.advance(Duration.ofSeconds(1));
        seconds++;
      }
      ejectionSeconds.add(seconds);
    }
    assertThat(ejectionSeconds).containsExactly(10L, 20L, 25L, 25L);
  }

  @Test
  void theEjectionMultiplierDecaysWhileTheEndpointStaysHealthy() {
    OutlierDetection outlier = OutlierDetection.builder().baseEjectionTime(Duration.ofSeconds(10)).build();
    RealLoadBalancer balancer = balancer(outlier, 3);
    pickOf(balancer, pod(1)).connectFailure();
    pickOf(balancer, pod(2)).connectFailure(); // refused: at most one of three may be out
    assertThat(balancer.stateOf(pod(2)).isEjected()).isFalse();
    ticker.advance(Duration.ofSeconds(10));
    countPicks(balancer, 30);
    ticker.advance(Duration.ofSeconds(100)); // healthy for ten base periods
    pickOf(balancer, pod(1)).connectFailure();
    assertThat(balancer.stateOf(pod(1)).ejections()).isEqualTo(1);
  }

  @Test
  void noMoreThanTheMaximumShareIsEjected() {
    RealLoadBalancer balancer = balancer(OutlierDetection.builder().maxEjectedShare(0.5).build(), 4);
    for (int i = 1; i <= 4; i++) {
      pickOf(balancer, pod(i)).connectFailure();
    }
    assertThat(balancer.ejectedCount()).isEqualTo(2);
    assertThat(countPicks(balancer, 400)).hasSize(2);
  }

  @Test
  void aMostlyFailingServiceStillGetsTrafficInPanicMode() {
    // Half may be ejected, but with a panic threshold of 60% two healthy of four is not enough.
    RealLoadBalancer balancer = balancer(
        OutlierDetection.builder().maxEjectedShare(0.5).panicThreshold(0.6).build(), 4);
    pickOf(balancer, pod(1)).connectFailure();
    assertThat(countPicks(balancer, 400)).hasSize(3);
    pickOf(balancer, pod(2)).connectFailure();
    assertThat(countPicks(balancer, 400)).as("panic: ejections ignored").hasSize(4);
  }

  @Test
  void aLonePodThatFailsStillGetsTraffic() {
    RealLoadBalancer balancer = balancer(OutlierDetection.defaults(), 1);
    pickOf(balancer, pod(1)).connectFailure();
    assertThat(balancer.pick().endpoint()).isEqualTo(pod(1));
  }

  @Test
  void withoutPanicModeAllEjectedIsATypedError() {
    RealLoadBalancer balancer = balancer(
        OutlierDetection.builder().maxEjectedShare(1.0).panicThreshold(0).build(), 2);
    pickOf(balancer, pod(1)).connectFailure();
    pickOf(balancer, pod(2)).connectFailure();
    assertThatThrownBy(balancer::pick).isInstanceOfSatisfying(NoEndpointException.class, e -> {
      assertThat(e.reason()).isEqualTo(NoEndpointException.Reason.ALL_EJECTED);
      assertThat(e.service()).isEqualTo(Snapshots.KEY);
      assertThat(e).hasMessageContaining("hostnames.default:80").hasMessageContaining("ejected");
    });
  }

  @Test
  void aRemovedEjectedEndpointNoLongerCountsAgainstTheMaximum() {
    RealLoadBalancer balancer = balancer(OutlierDetection.defaults(), 4);
    pickOf(balancer, pod(1)).connectFailure();
    pickOf(balancer, pod(2)).connectFailure();
    assertThat(balancer.ejectedCount()).isEqualTo(2);
    balancer.update(snapshot(2, List.of(pod(2), pod(3), pod(4), pod(5))));
    assertThat(balancer.ejectedCount()).isEqualTo(1);
  }

  @Test
  void disabledOutlierDetectionNeverEjects() {
    RealLoadBalancer balancer = balancer(OutlierDetection.disabled(), 3);
    for (int i = 0; i < 20; i++) {
      pickOf(balancer, pod(1)).connectFailure();
    }
    assertThat(countPicks(balancer, 300)).containsKey(pod(1));
  }

  @Test
  void aNewPodRampsUpOverTheSlowStartWindow() {
    LoadBalancer balancer = LoadBalancer.builder().ticker(ticker)
        .slowStart(SlowStart.of(Duration.ofSeconds(100), 0.05, 1.0)).build();
    balancer.update(snapshot(1, pods(3)));
    balancer.update(snapshot(2, pods(4)));
    // Round robin with admission: a warming pod's share is f / (3 + f) for weight factor f.
    ticker.advance(Duration.ofSeconds(10));
    double early = share(countPicks(balancer, 40_000), pod(4), 40_000);
    ticker.advance(Duration.ofSeconds(40));
    double half = share(countPicks(balancer, 40_000), pod(4), 40_000);
    ticker.advance(Duration.ofSeconds(50));
    double full = share(countPicks(balancer, 40_000), pod(4), 40_000);
    assertThat(early).isCloseTo(0.1 / 3.1, within(0.01));
    assertThat(half).isCloseTo(0.5 / 3.5, within(0.015));
    assertThat(full).isCloseTo(0.25, within(0.0001));
  }

  @Test
  void podsOfTheFirstSnapshotAreNotSlowed() {
    LoadBalancer balancer = LoadBalancer.builder().ticker(ticker).slowStart(Duration.ofMinutes(5)).build();
    balancer.update(snapshot(1, pods(3)));
    assertThat(countPicks(balancer, 3_000).values()).containsOnly(1_000);
  }

  private static double share(Map<Endpoint, Integer> counts, Endpoint e, int total) {
    return counts.getOrDefault(e, 0) / (double) total;
  }
}
