package io.kdiscovery.spring;

import io.kdiscovery.BalancedService;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.ProgrammingLatency;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.SourceStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 *   <li>{@code kdiscovery.ejections} (counter): endpoints ejected by outlier detection;
 *   <li>{@code kdiscovery.programming.latency} (timer; tag {@code service} only, the Service as
 *       {@code name.namespace}): the client-side network-programming latency, from the EndpointSlice
 *       controller's change trigger time to the table's snapshot ({@link ProgrammingLatency}); its
 *       histogram buckets include every bucket of kube-proxy's {@code network_programming_duration_seconds}
 *       (0.25 s, 0.5 s, 1-59 s, 60-115 s by 5, 120-300 s by 30) plus finer ones below 0.25 s, and it
 *       publishes the median, p90 and p99;
 *   <li>{@code kdiscovery.programming.latency.balancer} (timer, the same): trigger to the load
 *       balancer picking from the change;
 *   <li>{@code kdiscovery.programming.clock.skew} (counter; tag {@code service}): changes whose trigger
 *       time was in the application's future (its clock behind the control plane's), counted once per
 *       change; they are recorded as zero in the timers.
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

  /**
   * The programming-latency histogram's buckets: kube-proxy's {@code network_programming_duration_seconds}
   * buckets, so that both can be compared bucket for bucket, and finer ones below its first (a client
   * on a healthy cluster is mostly there).
   */
  static final Duration[] PROGRAMMING_BUCKETS = programmingBuckets();

  KDiscoveryMetrics(ServiceDirectory directory, Clock clock) {
    this.directory = directory;
    this.clock = clock;
    directory.discovery().onProgrammingLatency(this::record);
  }

  private static Duration[] programmingBuckets() {
    List<Duration> buckets = new ArrayList<>();
    for (long ms : new long[] {1, 2, 5, 10, 25, 50, 100}) {
      buckets.add(Duration.ofMillis(ms));
    }
    buckets.add(Duration.ofMillis(250)); // kube-proxy: LinearBuckets(0.25, 0.25, 2)
    buckets.add(Duration.ofMillis(500));
    for (int s = 1; s <= 59; s++) { // LinearBuckets(1, 1, 59)
      buckets.add(Duration.ofSeconds(s));
    }
    for (int s = 60; s <= 115; s += 5) { // LinearBuckets(60, 5, 12)
      buckets.add(Duration.ofSeconds(s));
    }
    for (int s = 120; s <= 300; s += 30) { // LinearBuckets(120, 30, 7)
      buckets.add(Duration.ofSeconds(s));
    }
    return buckets.toArray(new Duration[0]);
  }

  private void record(ProgrammingLatency latency) {
    String service = serviceTag(latency.service());
    for (Meters meters : bound) {
      meters.programming(service, latency.stage()).record(latency.latency());
      if (latency.clockSkewed() && latency.stage() == ProgrammingLatency.Stage.TABLE) { // once per change
        meters.skew(service).increment();
      }
    }
  }

  /** The Service as the {@code service} tag names it: {@code name.namespace}, without the port. */
  static String serviceTag(ServiceKey key) {
    return key.name() + "." + key.namespace();
  }

  /**
   * The programming latency of {@code key}'s Service as the first bound registry has it, for the
   * Actuator view: per stage the count, median, p90, p99 and max, and the clock-skewed count; null
   * when nothing was measured.
   */
  Map<String, Object> programmingLatency(ServiceKey key) {
    if (bound.isEmpty()) {
      return null;
    }
    Meters meters = bound.get(0);
    String service = serviceTag(key);
    Timer table = meters.programmingIfPresent(service, ProgrammingLatency.Stage.TABLE);
    if (table == null) {
      return null;
    }
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("toTable", summary(table));
    Timer balancer = meters.programmingIfPresent(service, ProgrammingLatency.Stage.BALANCER);
    if (balancer != null) {
      view.put("toBalancer", summary(balancer));
    }
    Counter skew = meters.skewIfPresent(service);
    view.put("clockSkewed", skew == null ? 0L : (long) skew.count());
    return view;
  }

  private static Map<String, Object> summary(Timer timer) {
    HistogramSnapshot snapshot = timer.takeSnapshot();
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("count", snapshot.count());
    for (ValueAtPercentile p : snapshot.percentileValues()) {
      String name = p.percentile() == 0.5 ? "median" : "p" + Math.round(p.percentile() * 100);
      summary.put(name, Duration.ofNanos((long) p.value(TimeUnit.NANOSECONDS)).toString());
    }
    summary.put("max", Duration.ofNanos((long) snapshot.max(TimeUnit.NANOSECONDS)).toString());
    return summary;
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
    private final ConcurrentHashMap<String, Timer> programming = new ConcurrentHashMap<>(); // stage/service
    private final ConcurrentHashMap<String, Counter> skews = new ConcurrentHashMap<>();

    Meters(MeterRegistry registry) {
      this.registry = registry;
    }

    Timer programming(String service, ProgrammingLatency.Stage stage) {
      return programming.computeIfAbsent(stage + "/" + service, k -> Timer.builder(
              stage == ProgrammingLatency.Stage.TABLE ? "kdiscovery.programming.latency"
                  : "kdiscovery.programming.latency.balancer")
          .description(stage == ProgrammingLatency.Stage.TABLE
              ? "From the EndpointSlice controller's change trigger time to the table's snapshot"
              : "From the EndpointSlice controller's change trigger time to the load balancer picking from it")
          .tags("service", service)
          .serviceLevelObjectives(PROGRAMMING_BUCKETS)
          .publishPercentiles(0.5, 0.9, 0.99)
          .register(registry));
    }

    Timer programmingIfPresent(String service, ProgrammingLatency.Stage stage) {
      return programming.get(stage + "/" + service);
    }

    Counter skew(String service) {
      return skews.computeIfAbsent(service, s -> Counter.builder("kdiscovery.programming.clock.skew")
          .description("Programming-latency measurements whose trigger time was in the future, recorded as zero")
          .tags("service", s).register(registry));
    }

    Counter skewIfPresent(String service) {
      return skews.get(service);
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
