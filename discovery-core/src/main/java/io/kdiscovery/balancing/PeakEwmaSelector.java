package io.kdiscovery.balancing;

import io.kdiscovery.time.Ticker;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Power of two choices on expected latency: each endpoint's cost is its peak EWMA of reported latencies
 * times (requests in flight + 1), and the cheaper of two random endpoints wins. An endpoint with no
 * latency yet costs nothing while idle and a large penalty once busy, so a new pod gets a first request
 * quickly but is not flooded before it has answered one. Reads the ticker once per pick, because the
 * averages decay with time.
 */
final class PeakEwmaSelector implements Selector {

  /** The cost of a busy endpoint without a measured latency: about one second per request. */
  private static final double UNMEASURED_PENALTY_NANOS = 1e9;

  private final EndpointState[] states;
  private final Ticker ticker;
  private final double decayNanos;

  PeakEwmaSelector(EndpointState[] states, Ticker ticker, double decayNanos) {
    this.states = states;
    this.ticker = ticker;
    this.decayNanos = decayNanos;
  }

  @Override
  public int select(PickContext context) {
    int n = states.length;
    if (n == 1) {
      return 0;
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int a = random.nextInt(n);
    int b = random.nextInt(n - 1);
    if (b >= a) {
      b++;
    }
    long now = ticker.read();
    return cost(states[b], now) < cost(states[a], now) ? b : a;
  }

  private double cost(EndpointState state, long now) {
    int inFlight = state.inFlight();
    double latency = state.latencyAverage(now, decayNanos);
    if (latency == 0) {
      return inFlight == 0 ? 0 : UNMEASURED_PENALTY_NANOS * inFlight;
    }
    return latency * (inFlight + 1);
  }
}
