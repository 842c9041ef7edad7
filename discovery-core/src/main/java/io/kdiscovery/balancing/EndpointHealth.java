package io.kdiscovery.balancing;

import io.kdiscovery.model.Endpoint;
import java.time.Duration;
import java.util.Objects;

/**
 * A load balancer's view of one usable endpoint at one moment: what {@link LoadBalancer#health()}
 * reports for an Actuator endpoint or a log line.
 *
 * <p>Immutable.
 *
 * @param endpoint the endpoint, as in the balancer's snapshot
 * @param inFlight requests picked and not yet completed; always 0 for policies that count nothing
 *     ({@link Policy#usesInFlight()})
 * @param ejected whether outlier detection has it out of rotation now
 * @param ejectedFor how much longer the ejection lasts; zero when not ejected
 * @param ejections how often it has been ejected, decayed while it stays healthy
 */
public record EndpointHealth(Endpoint endpoint, int inFlight, boolean ejected, Duration ejectedFor, int ejections) {

  public EndpointHealth {
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(ejectedFor, "ejectedFor");
  }
}
