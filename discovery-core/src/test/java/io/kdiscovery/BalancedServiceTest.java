package io.kdiscovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.NoEndpointException;
import io.kdiscovery.balancing.Pick;
import io.kdiscovery.balancing.PickContext;
import io.kdiscovery.balancing.Policy;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The live table and a balancer bound together: what a request sees as the Service changes. */
class BalancedServiceTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private ApiServer api;
  private KDiscovery discovery;

  @BeforeEach
  void start() {
    api = new ApiServer();
    discovery = KDiscovery.builder().kubernetesClient(api.client()).build();
  }

  @AfterEach
  void stop() {
    discovery.close();
    api.close();
  }

  private void threePods() {
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5")
        .ready("hostnames-2", "10.244.0.6").ready("hostnames-3", "10.244.0.7").build());
  }

  private static Map<String, Integer> spread(BalancedService service, int picks) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < picks; i++) {
      Pick pick = service.pick();
      counts.merge(pick.endpoint().podName(), 1, Integer::sum);
      pick.success(1_000_000);
    }
    return counts;
  }

  @Test
  void roundRobinSpreadsRequestsEvenlyOverTheReadyPods() {
    api.apply(Hostnames.service());
    threePods();
    try (BalancedService hostnames = discovery.balance("hostnames.default:80", LoadBalancer.builder())) {
      hostnames.awaitSnapshot(WAIT);

      assertThat(spread(hostnames, 300)).containsOnly(
          Map.entry("hostnames-1", 100), Map.entry("hostnames-2", 100), Map.entry("hostnames-3", 100));
    }
  }

  @Test
  void aPodThatTurnsUnreadyStopsBeingPicked() {
    api.apply(Hostnames.service());
    threePods();
    try (BalancedService hostnames = discovery.balance("hostnames.default:80",
        LoadBalancer.builder().policy(Policy.LEAST_REQUEST))) {
      hostnames.awaitSnapshot(WAIT);

      api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5")
          .notReady("hostnames-2", "10.244.0.6").ready("hostnames-3", "10.244.0.7").build());

      await().atMost(WAIT).until(() -> hostnames.balancer().snapshot().readyEndpoints().size() == 2);
      assertThat(spread(hostnames, 200)).containsOnlyKeys("hostnames-1", "hostnames-3");
    }
  }

  @Test
  void scaledToZeroAPickFailsWithTheReasonAndRecoversWhenPodsReturn() {
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").build());
    try (BalancedService hostnames = discovery.balance("hostnames.default:80", LoadBalancer.builder())) {
      hostnames.awaitSnapshot(WAIT);

      assertThatThrownBy(hostnames::pick).isInstanceOfSatisfying(NoEndpointException.class, e -> {
        assertThat(e.reason()).isEqualTo(NoEndpointException.Reason.NO_ENDPOINTS);
        assertThat(e).hasMessageContaining("hostnames.default:80");
      });

      threePods();
      await().atMost(WAIT).untilAsserted(() -> assertThat(hostnames.pick().endpoint().port()).isEqualTo(9376));
    }
  }

  @Test
  void aMissingServiceIsSaidSo() {
    try (BalancedService hostnames = discovery.balance("hostnames.default:80", LoadBalancer.builder())) {
      hostnames.awaitSnapshot(WAIT);

      assertThatThrownBy(hostnames::pick).isInstanceOfSatisfying(NoEndpointException.class,
          e -> assertThat(e.reason()).isEqualTo(NoEndpointException.Reason.SERVICE_NOT_FOUND));
    }
  }

  @Test
  void clientIpAffinityOnTheServiceKeepsEachClientOnOnePodWithoutCodeChanges() {
    api.apply(new ServiceBuilder(Hostnames.service()).editSpec().withSessionAffinity("ClientIP").endSpec().build());
    threePods();
    try (BalancedService hostnames = discovery.balance("hostnames.default:80", LoadBalancer.builder())) {
      hostnames.awaitSnapshot(WAIT);

      for (String client : new String[] {"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"}) {
        PickContext context = PickContext.forKey(client);
        String first = hostnames.pick(context).endpoint().podName();
        assertThat(IntStream.range(0, 20).mapToObj(i -> hostnames.pick(context).endpoint().podName()))
            .as("client %s", client).containsOnly(first);
      }
    }
  }
}
