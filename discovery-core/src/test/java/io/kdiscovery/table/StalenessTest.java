package io.kdiscovery.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.SourceState;
import io.kdiscovery.testing.FakeTicker;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How long a table has gone unconfirmed is elapsed time on the injected ticker, never the wall clock. */
class StalenessTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final ServiceKey HOSTNAMES = ServiceKey.of("default", "hostnames", 80);

  private final FakeEndpointSource source = new FakeEndpointSource();
  private final FakeTicker ticker = new FakeTicker();
  private final EndpointTable table = EndpointTable.builder(source).ticker(ticker).build();

  @AfterEach
  void close() {
    table.close();
  }

  @Test
  void stalenessCountsOnTheTickerFromLeavingStepAndIsZeroWhileInStep() {
    try (ServiceHandle handle = table.open(HOSTNAMES)) {
      await().atMost(WAIT).until(() -> source.watching(HOSTNAMES));
      ticker.advance(Duration.ofSeconds(5)); // never connected yet: counts from the start
      assertThat(handle.staleness()).isEqualTo(Duration.ofSeconds(5));

      source.publish(HOSTNAMES, new SourceState(true, ServiceInfo.UNKNOWN, List.of(Endpoint.of("10.244.0.5", 9376))));
      handle.awaitSnapshot(WAIT);
      await().atMost(WAIT).until(() -> handle.status().state() == SourceStatus.State.SYNCED);
      ticker.advance(Duration.ofMinutes(10)); // a quiet Service: a watch in step confirms it all along
      assertThat(handle.staleness()).isZero();

      source.fail(HOSTNAMES, "connection refused");
      await().atMost(WAIT).until(() -> handle.status().state() == SourceStatus.State.DISCONNECTED);
      assertThat(handle.staleness()).isZero(); // the blip has only begun
      ticker.advance(Duration.ofSeconds(90)); // the wall clock barely moves meanwhile
      assertThat(handle.staleness()).isEqualTo(Duration.ofSeconds(90));
      source.fail(HOSTNAMES, "connection refused again");
      ticker.advance(Duration.ofSeconds(10));
      await().atMost(WAIT).untilAsserted(() -> assertThat(handle.status().detail()).contains("again"));
      assertThat(handle.staleness()).isEqualTo(Duration.ofSeconds(100)); // counted from the first failure
      assertThat(table.services()).singleElement()
          .satisfies(watched -> assertThat(watched.staleness()).isEqualTo(Duration.ofSeconds(100)));
    }
  }
}
