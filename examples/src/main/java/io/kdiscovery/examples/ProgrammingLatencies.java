package io.kdiscovery.examples;

import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.table.ProgrammingLatency;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The network-programming latency the library measures itself ({@link ProgrammingLatency}): from the
 * EndpointSlice controller's {@code last-change-trigger-time} to the table publishing the change, for
 * one Service (the demo's balancers are updated inline before that, so they pick from it by then; each
 * balancer also reports its own stage, which would count every change once per balancer). Unlike {@link PropagationClock}, which needs the demo's own
 * controller to mark its writes, this works against any cluster whose controller stamps its slices.
 *
 * <p>Thread-safe (one monitor; one call per change).
 */
final class ProgrammingLatencies {

  private final ServiceKey service;
  private final List<Duration> latencies = new ArrayList<>();
  private Duration last;
  private long clockSkewed;

  ProgrammingLatencies(ServiceKey service) {
    this.service = service;
  }

  /** Keeps the table-stage measurements of this Service; ignores the rest. */
  synchronized void record(ProgrammingLatency latency) {
    if (latency.stage() != ProgrammingLatency.Stage.TABLE || !latency.service().equals(service)) {
      return;
    }
    if (latency.clockSkewed()) {
      clockSkewed++;
    }
    last = latency.latency();
    latencies.add(last);
  }

  synchronized Optional<Duration> last() {
    return Optional.ofNullable(last);
  }

  synchronized int count() {
    return latencies.size();
  }

  synchronized long clockSkewed() {
    return clockSkewed;
  }

  /** The {@code q}-quantile (0..1) of the latencies so far, or empty before the first. */
  synchronized Optional<Duration> quantile(double q) {
    if (latencies.isEmpty()) {
      return Optional.empty();
    }
    List<Duration> sorted = new ArrayList<>(latencies);
    sorted.sort(null);
    return Optional.of(sorted.get((int) Math.min(sorted.size() - 1, Math.floor(q * sorted.size()))));
  }
}
