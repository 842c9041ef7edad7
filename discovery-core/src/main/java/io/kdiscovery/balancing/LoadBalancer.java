package io.kdiscovery.balancing;

import io.kdiscovery.affinity.Affinity;
import io.kdiscovery.health.OutlierDetection;
import io.kdiscovery.health.SlowStart;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.Location;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.time.Ticker;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Picks a pod for each request to one Service port, from the snapshots of that port's endpoints.
 *
 * <p>Thread-safe. {@link #pick} may be called from any number of threads at once; it takes no lock and
 * the plain call {@code pick(PickContext.none())}, or a pick with a reused context, allocates nothing
 * (sticky affinity allocates when a key is new or moves). {@link #update} is meant to be called from one serial thread (the
 * endpoint table's); concurrent calls are serialized. Each update makes the next immutable picker from
 * the previous one, in time proportional to the change (groups and hashing tables that did not change
 * are kept), and publishes it at once, so a pick sees either the old snapshot or the new one, never a
 * mix; what the balancer learns about each endpoint (requests in flight, failures, ejection, latency)
 * is kept across updates for every endpoint that stays.
 *
 * <p>What a pick honours, in this order:
 * <ol>
 *   <li>only usable endpoints ({@link io.kdiscovery.model.ServiceSnapshot#usableEndpoints()}, the one
 *       {@link io.kdiscovery.model.Usability} rule, kube-proxy's): ready; when there is none, the ones
 *       serving while terminating (kube-proxy's terminating fallback); never one that is neither;
 *   <li>sticky affinity, when on ({@link Affinity}; automatic for a {@code ClientIP} Service);
 *   <li>topology: the endpoints of the caller's zone or node when the Service asks for it and enough of
 *       them exist (see {@link Builder#localZone});
 *   <li>the {@link Policy};
 *   <li>passive health: ejected endpoints are skipped unless too few healthy ones remain (panic), new
 *       ones get a share that ramps up (slow start), and endpoints a retry already tried are avoided
 *       while others exist ({@link PickContext#excluding}, {@link RequestAttempts}).
 * </ol>
 * See {@link Pick} for what the caller must do with the result.
 */
public interface LoadBalancer {

  /**
   * Replaces the endpoints with those of {@code snapshot}. A snapshot older than the current one is
   * ignored.
   *
   * @throws IllegalArgumentException when the snapshot is of another Service port than earlier ones
   */
  void update(ServiceSnapshot snapshot);

  /**
   * Chooses the endpoint for one request.
   *
   * @throws NoEndpointException when there is nothing to choose, with the reason; never returns null
   */
  Pick pick(PickContext context);

  /**
   * Chooses the endpoint for one request as {@link #pick(PickContext)} does, but counts nothing yet:
   * for integrations that learn later whether the request really starts (gRPC picks, then creates a
   * stream or picks again). Call {@link #start} when it starts and complete the pick that returns; a
   * choice never started costs nothing and needs nothing. Allocation-free like {@code pick}.
   *
   * @throws NoEndpointException when there is nothing to choose, with the reason
   */
  Endpoint choose(PickContext context);

  /**
   * Counts a request that starts now on {@code chosen}, an endpoint {@link #choose} returned, and
   * returns its pick, to be completed as usual. When the endpoint has left the Service since it was
   * chosen, the pick counts and reports nothing (a snapshot update dropped it).
   */
  Pick start(Endpoint chosen);

  /** {@code pick(PickContext.none())}. */
  default Pick pick() {
    return pick(PickContext.none());
  }

  /** The snapshot the current picks are made from, or null before the first {@link #update}. */
  ServiceSnapshot snapshot();

  /**
   * The endpoints picks choose among now: the snapshot's usable endpoints, or with {@link
   * Builder#subset subsetting} this client's subset of them, in snapshot order; empty before the first
   * {@link #update} or when none is usable. The same immutable list until the next update, so an
   * integration that keeps a connection per endpoint (gRPC's subchannels) connects to these only.
   */
  List<Endpoint> endpoints();

  /**
   * What the balancer knows now about each endpoint it picks among ({@link #endpoints()}): requests
   * in flight, ejection; for diagnostics; empty before the first {@link #update}. Allocates; not for
   * the request path.
   */
  List<EndpointHealth> health();

  /** How many ejections outlier detection has made since the balancer was built. */
  long ejections();

  /** A builder with the defaults: round robin, default outlier detection, no slow start. */
  static Builder builder() {
    return new Builder();
  }

  /** Configures a {@link LoadBalancer}; each setter checks its argument at once. Not thread-safe. */
  final class Builder {
    Policy policy = Policy.ROUND_ROBIN;
    Ticker ticker = Ticker.system();
    OutlierDetection outlierDetection = OutlierDetection.defaults();
    SlowStart slowStart = SlowStart.disabled();
    Affinity affinity = Affinity.fromService();
    String localZone;
    String localNode;
    Location defaultLocation = Location.UNKNOWN;
    ServiceKey service;
    Duration latencyDecay = Duration.ofSeconds(10);
    Duration abandonedPickTimeout = Duration.ofMinutes(5);
    int maxOutstandingPicks = 1024;
    int subsetSize; // 0: no subsetting
    Long subsetIndex;
    String subsetSeed;

    Builder() {}

    public Builder policy(Policy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** The clock for ejection, slow start, affinity timeouts and latency decay. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    public Builder outlierDetection(OutlierDetection outlierDetection) {
      this.outlierDetection = Objects.requireNonNull(outlierDetection, "outlierDetection");
      return this;
    }

    /** Ramps a new endpoint's share up over {@code window}; {@link Duration#ZERO} turns it off. */
    public Builder slowStart(Duration window) {
      this.slowStart = SlowStart.of(window);
      return this;
    }

    public Builder slowStart(SlowStart slowStart) {
      this.slowStart = Objects.requireNonNull(slowStart, "slowStart");
      return this;
    }

    public Builder affinity(Affinity affinity) {
      this.affinity = Objects.requireNonNull(affinity, "affinity");
      return this;
    }

    /**
     * The zone this application runs in ({@code topology.kubernetes.io/zone} of its node), for topology
     * hints and {@code trafficDistribution}; null when unknown, which turns zone preference off.
     */
    public Builder localZone(String zone) {
      this.localZone = blankToNull("localZone", zone);
      return this;
    }

    /** The node this application runs on, for {@code trafficDistribution: PreferSameNode}. */
    public Builder localNode(String node) {
      this.localNode = blankToNull("localNode", node);
      return this;
    }

    /**
     * Where the application runs as detected ({@code KDiscovery#location()}), for whichever of
     * {@link #localZone} and {@link #localNode} is not set: those stay explicit overrides. {@code
     * KDiscovery.balance} sets it, so every integration uses the detected zone and node with no code.
     */
    public Builder defaultLocation(Location location) {
      this.defaultLocation = Objects.requireNonNull(location, "location");
      return this;
    }

    /** The zone picks prefer: {@link #localZone} if set, else the default location's. */
    String effectiveZone() {
      return localZone != null ? localZone : defaultLocation.zone();
    }

    /** The node picks prefer: {@link #localNode} if set, else the default location's. */
    String effectiveNode() {
      return localNode != null ? localNode : defaultLocation.node();
    }

    /** The Service port, so that errors before the first snapshot can name it; optional. */
    public Builder service(ServiceKey service) {
      this.service = Objects.requireNonNull(service, "service");
      return this;
    }

    /** How fast {@link Policy#PEAK_EWMA} forgets a latency: the EWMA's time constant (default 10 s). */
    public Builder latencyDecay(Duration decay) {
      this.latencyDecay = positive("latencyDecay", decay);
      return this;
    }

    /**
     * How long a counted pick may stay uncompleted before it is taken to be forgotten and its in-flight
     * count is released (default 5 min); it is released between one and two such periods after the
     * pick. Set it above your longest request.
     */
    public Builder abandonedPickTimeout(Duration timeout) {
      this.abandonedPickTimeout = positive("abandonedPickTimeout", timeout);
      return this;
    }

    /**
     * How many counted picks may be outstanding at once without allocating (default 1024, rounded up to
     * a power of two). Beyond it picks still work, on handles that are allocated, counted in flight and
     * reclaimed after the abandoned-pick timeout like pooled ones.
     */
    public Builder maxOutstandingPicks(int picks) {
      if (picks < 8 || picks > (1 << 20)) {
        throw new IllegalArgumentException("maxOutstandingPicks must be in 8..1048576: " + picks);
      }
      this.maxOutstandingPicks = picks;
      return this;
    }

    /**
     * Subsetting, for large Services and large fleets of clients: this balancer uses only {@code size}
     * of the usable endpoints, chosen so that the clients of a fleet, each with its own subset, spread
     * evenly over the pods, and so that a pod that leaves moves only the clients that used it (see
     * docs/balancing.md, "Subsetting"). The subset is taken from the usable endpoints before anything
     * else (zone preference then chooses within it); with at most {@code size} usable endpoints all are
     * used. Off by default. Place the client on the ring with {@link #subsetIndex} (even spread) or
     * {@link #subsetSeed}; with neither, a random seed is drawn when the balancer is built.
     */
    public Builder subset(int size) {
      if (size < 1 || size > 100_000) {
        throw new IllegalArgumentException("subset size must be in 1..100000: " + size);
      }
      this.subsetSize = size;
      return this;
    }

    /**
     * This client's index among the clients of the Service, for subsetting: distinct per client, small
     * and dense (0, 1, 2, …), such as a StatefulSet pod's ordinal (label {@code
     * apps.kubernetes.io/pod-index}, through the downward API). Clients with consecutive indices are
     * spread evenly over the pods, whatever their number; it need not be known.
     */
    public Builder subsetIndex(long index) {
      if (index < 0) {
        throw new IllegalArgumentException("subsetIndex must not be negative: " + index);
      }
      if (subsetSeed != null) {
        throw new IllegalStateException("subsetSeed is already set; set either subsetIndex or subsetSeed");
      }
      this.subsetIndex = index;
      return this;
    }

    /**
     * A seed for subsetting when this client has no index, such as its pod's name: clients are spread
     * at random (gRFC A68's random subsetting), evenly only on average. Only its hash is kept.
     */
    public Builder subsetSeed(String seed) {
      Objects.requireNonNull(seed, "subsetSeed");
      if (seed.isBlank()) {
        throw new IllegalArgumentException("subsetSeed must not be blank");
      }
      if (subsetIndex != null) {
        throw new IllegalStateException("subsetIndex is already set; set either subsetIndex or subsetSeed");
      }
      this.subsetSeed = seed;
      return this;
    }

    /**
     * @throws IllegalStateException when {@link #subsetIndex} or {@link #subsetSeed} is set without
     *     {@link #subset}
     */
    public LoadBalancer build() {
      if (subsetSize == 0 && (subsetIndex != null || subsetSeed != null)) {
        throw new IllegalStateException("subsetIndex and subsetSeed need subset(size) too");
      }
      return new RealLoadBalancer(this);
    }

    private static String blankToNull(String what, String value) {
      if (value != null && value.isBlank()) {
        throw new IllegalArgumentException(what + " must not be blank; pass null when unknown");
      }
      return value;
    }

    private static Duration positive(String what, Duration d) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive: " + d);
      }
      return d;
    }
  }
}
