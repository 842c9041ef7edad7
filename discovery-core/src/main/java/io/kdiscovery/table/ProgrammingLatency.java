package io.kdiscovery.table;

import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One measurement of the client-side <b>network-programming latency</b>: how long after a Pod or
 * Service change in the cluster a table, or a balancer, had it. It is kube-proxy's
 * {@code network_programming_duration_seconds} (the SIG Scalability SLI) seen from the application:
 * from the EndpointSlice controller's {@code endpoints.kubernetes.io/last-change-trigger-time} of the
 * slice that changed ({@link ServiceSnapshot#changeTriggeredAt()}) to the moment the table published
 * the snapshot ({@link Stage#TABLE}) or a load balancer started picking from it ({@link
 * Stage#BALANCER}), on the application's clock.
 *
 * <p>It spans the controller's own batching, the API server, the watch and kdiscovery. The trigger
 * time comes from the control plane's clock: when the application's clock runs behind, the difference
 * can come out negative; it is then reported as zero with {@link #clockSkewed()} set (the Spring
 * integration's Micrometer timers record it as zero and count it in {@code
 * kdiscovery.programming.clock.skew}, so a dashboard can tell a fast change from a skewed clock).
 *
 * @param service the Service port
 * @param stage what had the change
 * @param triggeredAt the change's trigger time, on the control plane's clock
 * @param latency the latency, never negative
 * @param clockSkewed true when the trigger time was later than now, so {@code latency} was clamped to zero
 */
public record ProgrammingLatency(ServiceKey service, Stage stage, Instant triggeredAt, Duration latency,
    boolean clockSkewed) {

  /** Where the change had arrived when the latency was measured. */
  public enum Stage {
    /** The table published the snapshot: every handle and subscriber can see it. */
    TABLE,
    /** A load balancer bound to the table picks from the snapshot. */
    BALANCER
  }

  public ProgrammingLatency {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(stage, "stage");
    Objects.requireNonNull(triggeredAt, "triggeredAt");
    Objects.requireNonNull(latency, "latency");
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative: " + latency);
    }
  }

  /**
   * The latency of {@code snapshot} reaching {@code stage} at {@code now}, or null when the snapshot
   * carries no trigger time.
   */
  public static ProgrammingLatency of(ServiceSnapshot snapshot, Stage stage, Instant now) {
    Instant triggeredAt = snapshot.changeTriggeredAt().orElse(null);
    if (triggeredAt == null) {
      return null;
    }
    Duration latency = Duration.between(triggeredAt, now);
    boolean skewed = latency.isNegative();
    return new ProgrammingLatency(snapshot.key(), stage, triggeredAt, skewed ? Duration.ZERO : latency, skewed);
  }
}
