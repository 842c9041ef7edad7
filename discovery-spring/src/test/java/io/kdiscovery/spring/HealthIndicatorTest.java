package io.kdiscovery.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.SourceStatus;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Status;

/**
 * The health indicator on a real watch of the mock API server: an outage turns it DOWN only once the
 * table has gone unconfirmed for longer than the configured staleness.
 */
class HealthIndicatorTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration MAX_STALENESS = Duration.ofMinutes(1);

  private ApiServer api;
  private KDiscovery discovery;
  private ServiceHandle hostnames;

  @BeforeEach
  void watchHostnames() {
    api = new ApiServer();
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());
    discovery = KDiscovery.builder().kubernetesClient(api.client())
        .backoff(Backoff.of(Duration.ofMillis(50), Duration.ofMillis(200))).build();
    hostnames = discovery.open("hostnames:80");
    hostnames.awaitSnapshot(WAIT);
  }

  @AfterEach
  void close() {
    hostnames.close();
    discovery.close();
    api.close();
  }

  @Test
  void aSyncedWatchIsUpWithItsServiceInTheDetails() {
    KDiscoveryHealthIndicator health = new KDiscoveryHealthIndicator(discovery, MAX_STALENESS, Clock.systemUTC());

    assertThat(health.health().getStatus()).isEqualTo(Status.UP);
    assertThat(health.health().getDetails().get("services").toString())
        .contains("hostnames.default:80", "state=SYNCED", "endpoints=1");
  }

  @Test
  void anOutageShorterThanTheStalenessKeepsItUp() {
    KDiscoveryHealthIndicator health = new KDiscoveryHealthIndicator(discovery, MAX_STALENESS, Clock.systemUTC());

    apiServerGoesAway();

    assertThat(health.health().getStatus()).isEqualTo(Status.UP);
  }

  @Test
  void anOutageLongerThanTheStalenessTurnsItDownAndRecoveryUpAgain() {
    // The indicator's clock runs two minutes ahead: the outage looks two minutes old at once.
    Clock later = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(2));
    KDiscoveryHealthIndicator health = new KDiscoveryHealthIndicator(discovery, MAX_STALENESS, later);
    assertThat(health.health().getStatus()).isEqualTo(Status.UP);

    apiServerGoesAway();
    assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
    assertThat(health.health().getDetails().get("services").toString()).contains("DISCONNECTED");

    api.proxy().start();
    await().atMost(WAIT).until(() -> health.health().getStatus().equals(Status.UP));

    // The Actuator endpoint counts the outage as one reconnect of the watch.
    assertThat(KDiscoveryEndpoint.describe(discovery.table().services().get(0), null, later.instant()))
        .extractingByKey("status").asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
        .containsEntry("state", "SYNCED").containsEntry("reconnects", 1L);
  }

  private void apiServerGoesAway() {
    api.proxy().stop();
    api.proxy().cutConnections();
    await().atMost(WAIT).until(() -> hostnames.status().state() == SourceStatus.State.DISCONNECTED);
  }
}
