package io.kdiscovery.balancing;

/**
 * How a {@link LoadBalancer} chooses among the usable endpoints of a Service port.
 *
 * <p>The load-aware policies ({@link #usesInFlight()}) count the requests in flight per endpoint, so
 * their {@link Pick}s must be completed; the others hand out shared handles whose completion only
 * reports an outcome to passive health checking.
 */
public enum Policy {
  /** Each endpoint in turn. */
  ROUND_ROBIN(false, false),
  /** In turn, in proportion to {@code Endpoint.weight()}, interleaved rather than in bursts. */
  WEIGHTED_ROUND_ROBIN(false, false),
  /** A uniform random choice per request: what kube-proxy's iptables mode does per connection. */
  RANDOM(false, false),
  /** Two random endpoints, the one with fewer requests in flight wins ("power of two choices"). */
  LEAST_REQUEST(true, false),
  /**
   * Two random endpoints, the one with the lower expected latency wins: a decaying average of reported
   * latencies that jumps up at once on a slow answer, times the requests in flight plus one.
   */
  PEAK_EWMA(true, false),
  /** IPVS {@code wlc}: the fewest requests in flight per unit of weight, over all endpoints. */
  LEAST_CONNECTION(true, false),
  /** IPVS {@code sed}: the lowest (requests in flight + 1) / weight, over all endpoints. */
  SHORTEST_EXPECTED_DELAY(true, false),
  /** IPVS {@code nq}: an idle endpoint when there is one, else shortest expected delay. */
  NEVER_QUEUE(true, false),
  /** Consistent hashing of the request's hash key on a ring of virtual nodes, honouring weights. */
  RING_HASH(false, true),
  /** Consistent hashing of the request's hash key through a Maglev lookup table. */
  MAGLEV(false, true);

  private final boolean usesInFlight;
  private final boolean hashing;

  Policy(boolean usesInFlight, boolean hashing) {
    this.usesInFlight = usesInFlight;
    this.hashing = hashing;
  }

  /** Whether the policy counts requests in flight, which makes completing each {@link Pick} matter. */
  public boolean usesInFlight() {
    return usesInFlight;
  }

  /** Whether the policy maps a request's hash key to an endpoint (random when there is no key). */
  public boolean isConsistentHashing() {
    return hashing;
  }
}
