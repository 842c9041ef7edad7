package io.kdiscovery.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.SourceStatus;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.FakeTicker;
import io.kdiscovery.testing.Hostnames;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Status;

/**
 * The health indicator on a real watch of the mock API server: an outage turns it DOWN only once the
 * table has gone unconfirmed for longer than the configured staleness, measured on the injected
 * ticker (fake time here), never on the wall clock.
 */
class HealthIndicatorTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration MAX_STALENESS = Duration.ofMinutes(1);

  private final FakeTicker ticker = new FakeTicker();
  private ApiServer api;
  private KDiscovery discovery;
  private ServiceHandle hostnames;

  @BeforeEach
  void watchHostnames() {
    api = new ApiServer();
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());
    discovery = KDiscovery.builder().kubernetesClient(api.client())
        .backoff(Backoff.of(Duration.ofMillis(50), Duration.ofMillis(200))).ticker(ticker).build();
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
    KDiscoveryHealthIndicator health = new KDiscoveryHealthIndicator(discovery, MAX_STALENESS);

    assertThat(health.health().getStatus()).isEqualTo(Status.UP);
    assertThat(health.health().getDetails().get("services").toString())
        .contains("hostnames.default:80", "state=SYNCED", "endpoints=1");
  }

  @Test
  void anOutageShorterThanTheStalenessKeepsItUp() {
    KDiscoveryHealthIndicator health = new KDiscoveryHealthIndicator(discovery, MAX_STALENESS);

    apiServerGoesAway();

    assertThat(health.health().getStatus()).isEqualTo(Status.UP);
  }

  @Test
  void anOutageLongerThanTheStalenessOnTheTickerTurnsItDownAndRecoveryUpAgain() {
    KDiscoveryHealthIndicator health = new KDiscoveryHealthIndicator(discovery, MAX_STALENESS);
    assertThat(health.health().getStatus()).isEqualTo(Status.UP);

    apiServerGoesAway();
    ticker.advance(MAX_STALENESS.minusSeconds(1));
    assertThat(health.health().getStatus()).isEqualTo(Status.UP);
    ticker.advance(Duration.ofSeconds(2)); // now a minute and a second on the ticker; the wall clock barely moved
    assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
    assertThat(health.health().getDetails().get("services").toString())
        .contains("DISCONNECTED", "staleness=PT1M1S");

    api.proxy().start();
    // The source counts a watch as back in step once it stayed up a while on the same ticker: let
    // fake time run while waiting.
    await().atMost(WAIT).until(() -> {
      ticker.advance(Duration.ofSeconds(1));
      return health.health().getStatus().equals(Status.UP);
    });

    // The Actuator endpoint counts the outage as one reconnect of the watch.
    assertThat(KDiscoveryEndpoint.describe(discovery.table().services().get(0), null, Clock.systemUTC().instant()))
        .extractingByKey("status").asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
        .containsEntry("state", "SYNCED").containsEntry("staleness", "PT0S").containsEntry("reconnects", 1L);
  }

  @Test
  void wallClockTimeDuringAnOutageDoesNotCountOnlyTheTickerDoes() {
    KDiscoveryHealthIndicator health = new KDiscoveryHealthIndicator(discovery, Duration.ofMillis(1));

    apiServerGoesAway(); // however long this takes on the wall clock, the ticker has not moved
    assertThat(health.health().getStatus()).isEqualTo(Status.UP);
    ticker.advance(Duration.ofMillis(2));
    assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
  }

  private void apiServerGoesAway() {
    api.proxy().stop();
    api.proxy().cutConnections();
    await().atMost(WAIT).until(() -> hostnames.status().state() == SourceStatus.State.DISCONNECTED);
  }
}
