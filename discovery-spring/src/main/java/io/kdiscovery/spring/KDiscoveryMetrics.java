package io.kdiscovery.spring;

import io.kdiscovery.BalancedService;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.SourceStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Micrometer metrics of the Spring integration, bound by Boot to every {@link MeterRegistry}:
 * <ul>
 *   <li>{@code kdiscovery.picks} (counter; tags {@code service}, {@code outcome} = success, failure,
 *       connect_failure, cancelled, no_endpoint): the load balancer's picks and how their requests
 *       ended;
 *   <li>{@code kdiscovery.requests} (timer; tags {@code service}, {@code outcome}): the latency of
 *       load-balanced requests that were sent, from sending to completion;
 *   <li>{@code kdiscovery.endpoints} (gauge; tags {@code service}, {@code port}): usable endpoints in
 *       the latest snapshot;
 *   <li>{@code kdiscovery.snapshot.age} (gauge, seconds): time since the latest snapshot was published;
 *   <li>{@code kdiscovery.watch.synced} (gauge, 1 or 0): whether the watch is in step with its source;
 *   <li>{@code kdiscovery.watch.staleness} (gauge, seconds): how long the table has gone unconfirmed;
 *   <li>{@code kdiscovery.watch.reconnects} (counter): how often the watch came back in step after
 *       losing contact with its source;
 *   <li>{@code kdiscovery.ejections} (counter): endpoints ejected by outlier detection.
 * </ul>
 *
 * <p>Thread-safe. Gauges of a service id appear when the integration opens it (with the DNS source,
 * once the name turns out to be a Service) and are removed when it is released; pick meters are built
 * on a (service, outcome)'s first use and cached, so recording never registers a meter. No tag takes
 * its value from a request: {@code service} is the id of a Service that exists, and every request for
 * a name that is no Service is counted under {@code service=unknown} ({@link PickRecorder#UNKNOWN_SERVICE}).
 */
final class KDiscoveryMetrics implements MeterBinder, PickRecorder {

  private final ServiceDirectory directory;
  private final Clock clock;
  private final List<Meters> bound = new CopyOnWriteArrayList<>();

  KDiscoveryMetrics(ServiceDirectory directory, Clock clock) {
    this.directory = directory;
    this.clock = clock;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    bound.add(new Meters(registry));
    // The gauges of each open entry in this registry, removed when the directory releases the entry.
    ConcurrentHashMap<ServiceDirectory.Entry, List<Meter>> gauges = new ConcurrentHashMap<>();
    directory.onRelease(entry -> unregister(registry, gauges, entry));
    directory.onEntry(entry -> {
      List<Meter> meters = new ArrayList<>();
      registerTo(registry, entry, meters);
      gauges.put(entry, meters);
      if (entry.isClosed()) {
        unregister(registry, gauges, entry); // released while its gauges were being registered
      }
    });
  }

  private static void unregister(MeterRegistry registry, ConcurrentHashMap<ServiceDirectory.Entry, List<Meter>> gauges,
      ServiceDirectory.Entry entry) {
    List<Meter> meters = gauges.remove(entry);
    if (meters != null) {
      meters.forEach(registry::remove);
    }
  }

  private void registerTo(MeterRegistry registry, ServiceDirectory.Entry entry, List<Meter> meters) {
    String service = entry.serviceId();
    String port = entry.key().port();
    ServiceHandle handle = entry.handle();
    meters.add(Gauge.builder("kdiscovery.endpoints", entry, e -> e.handle().snapshot()
            .map(s -> (double) s.usableEndpoints().size()).orElse(Double.NaN))
        .description("Usable endpoints of the service in its latest snapshot")
        .tags("service", service, "port", port).register(registry));
    meters.add(Gauge.builder("kdiscovery.snapshot.age", handle, h -> h.snapshot().map(this::ageSeconds).orElse(Double.NaN))
        .description("Seconds since the latest snapshot was published")
        .baseUnit("seconds").tags("service", service, "port", port).register(registry));
    meters.add(Gauge.builder("kdiscovery.watch.synced", handle, h -> h.status().state() == SourceStatus.State.SYNCED ? 1 : 0)
        .description("1 while the watch is in step with its source, else 0")
        .tags("service", service, "port", port).register(registry));
    meters.add(Gauge.builder("kdiscovery.watch.staleness", handle,
            h -> h.staleness().toNanos() / 1e9) // on the injected ticker, as the health indicator
        .description("Seconds the table has gone unconfirmed by its source")
        .baseUnit("seconds").tags("service", service, "port", port).register(registry));
    meters.add(FunctionCounter.builder("kdiscovery.watch.reconnects", handle, ServiceHandle::reconnects)
        .description("Times the watch came back in step with its source after losing contact")
        .tags("service", service, "port", port).register(registry));
    meters.add(FunctionCounter.builder("kdiscovery.ejections", entry,
            KDiscoveryMetrics::ejections)
        .description("Endpoints ejected by outlier detection")
        .tags("service", service, "port", port).register(registry));
  }

  /** Zero until the load balancer asks for this service id's balancer: nothing has been ejected. */
  private static double ejections(ServiceDirectory.Entry entry) {
    BalancedService balanced = entry.balancedIfPresent();
    return balanced == null ? 0 : balanced.balancer().ejections();
  }

  private double ageSeconds(ServiceSnapshot snapshot) {
    return Math.max(0, Duration.between(snapshot.createdAt(), clock.instant()).toNanos() / 1e9);
  }

  @Override
  public void record(String serviceId, String outcome, long latencyNanos) {
    for (Meters meters : bound) {
      OutcomeMeters m = meters.of(serviceId, outcome);
      m.picks.increment();
      if (latencyNanos >= 0) {
        m.latency.record(latencyNanos, TimeUnit.NANOSECONDS);
      }
    }
  }

  /**
   * One registry's pick meters, built once per (service, outcome) and then only looked up: the
   * request path costs a map read and an increment, never a meter registration.
   */
  private static final class Meters {
    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, OutcomeMeters>> byService =
        new ConcurrentHashMap<>();

    Meters(MeterRegistry registry) {
      this.registry = registry;
    }

    OutcomeMeters of(String serviceId, String outcome) {
      ConcurrentHashMap<String, OutcomeMeters> byOutcome = byService.get(serviceId);
      if (byOutcome == null) {
        byOutcome = byService.computeIfAbsent(serviceId, id -> new ConcurrentHashMap<>());
      }
      OutcomeMeters meters = byOutcome.get(outcome);
      return meters != null ? meters : byOutcome.computeIfAbsent(outcome, o -> new OutcomeMeters(
          Counter.builder("kdiscovery.picks")
              .description("Load-balancer picks by outcome of their request")
              .tags("service", serviceId, "outcome", o)
              .register(registry),
          Timer.builder("kdiscovery.requests")
              .description("Latency of load-balanced requests, from sending to completion, by outcome")
              .tags("service", serviceId, "outcome", o)
              .register(registry)));
    }
  }

  private record OutcomeMeters(Counter picks, Timer latency) {}
}
