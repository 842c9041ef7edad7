package io.kdiscovery.spring;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.table.SourceStatus;
import io.kdiscovery.table.WatchedService;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Health of kdiscovery's watches: DOWN only when some watched Service's table has gone unconfirmed by
 * its source for longer than {@code kdiscovery.health.staleness}. A short API-server outage keeps it
 * UP, because the last good table keeps serving; a watch that has not reached its source within that
 * time since it started is DOWN too. A Service with no ready pods, or one that does not exist, is not
 * a failure of discovery and is UP. Staleness is elapsed time, measured on the {@link
 * io.kdiscovery.time.Ticker} injected into {@link KDiscovery} ({@link WatchedService#staleness()}),
 * never on the wall clock: a clock step (NTP, a VM resumed) neither hides nor invents an outage.
 *
 * <p>Thread-safe. Details list each watched Service's state, staleness and number of endpoints.
 */
public final class KDiscoveryHealthIndicator implements HealthIndicator {

  private final KDiscovery discovery;
  private final Duration maxStaleness;

  KDiscoveryHealthIndicator(KDiscovery discovery, Duration maxStaleness) {
    this.discovery = discovery;
    this.maxStaleness = maxStaleness;
  }

  @Override
  public Health health() {
    boolean down = false;
    Map<String, Object> services = new LinkedHashMap<>();
    for (WatchedService watched : discovery.table().services()) {
      SourceStatus status = watched.status();
      Duration staleness = watched.staleness();
      // Disconnected, or still starting because the source never answered: failing either way.
      boolean stale = status.state() != SourceStatus.State.SYNCED && staleness.compareTo(maxStaleness) > 0;
      down |= stale;
      Map<String, Object> detail = new LinkedHashMap<>();
      detail.put("state", status.state().name());
      detail.put("staleness", staleness.toString());
      detail.put("endpoints", watched.snapshot().map(s -> s.endpoints().size()).orElse(0));
      if (status.detail() != null) {
        detail.put("detail", status.detail());
      }
      services.put(watched.key().toString(), detail);
    }
    Health.Builder health = down ? Health.down() : Health.up();
    return health.withDetail("source", discovery.sourceName())
        .withDetail("maxStaleness", maxStaleness.toString())
        .withDetail("services", services)
        .build();
  }
}
