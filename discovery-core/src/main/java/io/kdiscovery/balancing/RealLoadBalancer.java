package io.kdiscovery.balancing;

import io.kdiscovery.affinity.Affinity;
import io.kdiscovery.affinity.KeyHash;
import io.kdiscovery.affinity.StickyTable;
import io.kdiscovery.health.OutlierDetection;
import io.kdiscovery.health.SlowStart;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.time.Ticker;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The {@link LoadBalancer}: a picker made per snapshot from the previous one, plus per-endpoint state
 * that outlives it.
 *
 * <pre>
 * Concurrency design
 *
 *   update()  ── serial thread ──▶ walks new endpoints alongside the old; Picker.next (groups and
 *                                  hashing tables that did not change are kept) ──▶ volatile picker
 *                                  writes the states map (concurrent, so start() can read it),
 *                                  slots, marks and positions (only this thread)
 *   pick()    ── any thread ─────▶ reads picker once; selector.select(); EndpointState.flags == 0?
 *                                  yes: hand out (state's shared handle, or pooled handle + in-flight++)
 *                                  no:  slow path (ejection expiry, panic, slow start, exclusions)
 *   choose()/start() ─ any thread ▶ the same choice without counting / the count when the request starts
 *   complete()── any thread ─────▶ in-flight--, record(): failures, ejection, latency average
 * </pre>
 *
 * The only shared mutable state is in {@link EndpointState} (atomics), the selectors' cursors, the
 * {@link PickPool} and {@link #ejectedCount}. Ejection happens on the reporting side and is undone
 * lazily by the first pick that lands on an endpoint whose ejection has run out (and by each update),
 * so the common pick reads no clock. The ejected count is reserved by compare-and-set before an
 * ejection, which keeps it within the maximum ejected share however many threads report at once.
 */
final class RealLoadBalancer implements LoadBalancer, OutcomeSink {

  /** How many alternatives a pick asks the policy for before scanning the group. */
  private static final int MAX_RESELECTS = 8;

  private final Policy policy;
  private final Ticker ticker;
  private final OutlierDetection outlier;
  private final SlowStart slowStart;
  private final Affinity affinity;
  private final String localZone;
  private final String localNode;
  private final ServiceKey configuredService;
  private final double latencyDecayNanos;
  private final PickPool pool;
  /** Whether in-flight counts are striped per thread: for the policies that read two, not all. */
  private final boolean stripedInFlight;
  private final Function<EndpointGroup, Selector> selectors;
  private final AtomicInteger ejectedCount = new AtomicInteger();
  private final AtomicLong ejectionsTotal = new AtomicLong();

  private volatile Picker picker;
  /** What {@link #endpoints()} returns: the usable endpoints, or this client's subset of them. */
  private volatile List<Endpoint> candidates = List.of();

  /**
   * Every usable endpoint's state by {@code address:port}. Written only by the update thread; concurrent
   * so that {@link #start} may look endpoints up from any thread.
   */
  private final ConcurrentHashMap<String, EndpointState> states = new ConcurrentHashMap<>();

  // Owned by the update thread.
  private final Slots slots = new Slots();
  private final SubsetRing subsetRing; // null: no subsetting
  private StickyTable<EndpointState> sticky;
  private boolean seenEndpoints;
  private int updates; // numbers each update, to mark the states it saw

  RealLoadBalancer(Builder b) {
    this.policy = b.policy;
    this.ticker = b.ticker;
    this.outlier = b.outlierDetection;
    this.slowStart = b.policy.isConsistentHashing() ? SlowStart.disabled() : b.slowStart;
    this.affinity = b.affinity;
    this.localZone = b.effectiveZone();
    this.localNode = b.effectiveNode();
    this.configuredService = b.service;
    this.latencyDecayNanos = b.latencyDecay.toNanos();
    this.pool = b.policy.usesInFlight()
        ? new PickPool(b.maxOutstandingPicks, this, b.ticker, b.abandonedPickTimeout.toNanos())
        : null;
    this.selectors = group -> Selector.create(policy, group, ticker, latencyDecayNanos);
    this.stripedInFlight = policy == Policy.LEAST_REQUEST || policy == Policy.PEAK_EWMA;
    if (affinity.mode() == Affinity.Mode.STICKY) {
      this.sticky = StickyTable.create(affinity.idleTimeout(), affinity.maxKeys(), ticker);
    }
    this.subsetRing = b.subsetSize == 0 ? null : new SubsetRing(b.subsetSize, b.subsetIndex != null
        ? SubsetRing.indexPosition(b.subsetIndex)
        : SubsetRing.seedPosition(b.subsetSeed != null ? b.subsetSeed : Long.toHexString(new SecureRandom().nextLong())));
  }

  // ---------------------------------------------------------------- control side (serial)

  @Override
  public synchronized void update(ServiceSnapshot snapshot) {
    Objects.requireNonNull(snapshot, "snapshot");
    Picker current = picker;
    if (current != null) {
      if (!current.snapshot.key().equals(snapshot.key())) {
        throw new IllegalArgumentException("this balancer serves " + current.snapshot.key()
            + ", not " + snapshot.key());
      }
      if (snapshot.version() < current.snapshot.version()) {
        return;
      }
    }
    long now = ticker.read();
    List<Endpoint> usable = snapshot.usableEndpoints();
    if (subsetRing != null) {
      usable = subsetRing.subset(usable); // before topology: zone preference chooses within the subset
    }
    candidates = usable;
    if (usable.isEmpty()) {
      retireAll();
      picker = emptyPicker(snapshot);
    } else {
      picker = nextPicker(current == null || current.all == null ? null : current, snapshot, usable, now);
      seenEndpoints = true;
    }
    if (pool != null) {
      pool.reclaim();
    }
  }

  /**
   * The picker for {@code usable}, built from {@code previous} in time proportional to the change
   * (apart from a few linear passes over arrays): the new endpoint list is walked alongside the old
   * one, so an endpoint that stayed costs one identity comparison; only endpoints that joined, left or
   * changed are looked up, created or retired, and only their groups' selectors do more than copy.
   */
  private Picker nextPicker(Picker previous, ServiceSnapshot snapshot, List<Endpoint> usable, long now) {
    Endpoint[] endpoints = usable.toArray(new Endpoint[0]);
    EndpointState[] next = new EndpointState[endpoints.length];
    Endpoint[] oldEndpoints = previous == null ? new Endpoint[0] : previous.all.endpoints;
    EndpointState[] oldStates = previous == null ? new EndpointState[0] : previous.all.states;
    int previousMark = updates;
    int mark = ++updates;
    List<EndpointState> added = new ArrayList<>();
    List<EndpointState> reweighted = new ArrayList<>();
    int i = 0; // where the walk stands in the old list
    for (int j = 0; j < endpoints.length; j++) {
      Endpoint e = endpoints[j];
      EndpointState s;
      if (i < oldEndpoints.length && (oldEndpoints[i] == e || oldEndpoints[i].equals(e))) {
        s = oldStates[i++];
      } else {
        s = states.get(e.hostPort());
        if (s == null) {
          s = new EndpointState(e.hostPort(), now, seenEndpoints && slowStart.enabled(), slots.take(),
              stripedInFlight);
          s.endpoint = e;
          s.shared = pool == null ? Pick.shared(this, e, s) : null;
          states.put(s.id, s);
          added.add(s);
        } else {
          if (s.endpoint.weight() != e.weight()) {
            reweighted.add(s);
          }
          if (!s.endpoint.equals(e)) {
            s.endpoint = e;
            s.shared = pool == null ? Pick.shared(this, e, s) : null;
          }
          if (s.mark == previousMark && s.position >= i) {
            i = s.position + 1; // the old endpoints skipped over have left (or moved: found by lookup)
          }
        }
      }
      if (s.flags != 0 && s.isEjected() && s.ejectionOver(now) && s.clearEjected()) {
        ejectedCount.decrementAndGet();
      }
      s.mark = mark;
      s.position = j;
      next[j] = s;
    }
    List<EndpointState> removed = new ArrayList<>();
    for (EndpointState old : oldStates) {
      if (old.mark != mark) {
        removed.add(old);
      }
    }
    for (EndpointState gone : removed) {
      retire(gone); // after the new ones took their slots, so no slot changes hands within one update
    }
    return Picker.next(previous, snapshot, endpoints, next, new GroupChange(removed, added, reweighted),
        selectors, localZone, localNode, stickyTableFor(snapshot.service()));
  }

  private void retire(EndpointState gone) {
    gone.retire();
    if (gone.clearEjected()) {
      ejectedCount.decrementAndGet();
    }
    states.remove(gone.id, gone);
    slots.give(gone.slot);
  }

  private void retireAll() {
    for (EndpointState s : states.values()) {
      retire(s);
    }
  }

  private Picker emptyPicker(ServiceSnapshot snapshot) {
    if (!snapshot.serviceFound()) {
      return Picker.empty(snapshot, NoEndpointException.Reason.SERVICE_NOT_FOUND,
          "the Service does not exist");
    }
    int total = snapshot.endpoints().size();
    return Picker.empty(snapshot, NoEndpointException.Reason.NO_ENDPOINTS, total == 0
        ? "the Service has no endpoints"
        : "none of its " + total + " endpoints is ready, nor serving while terminating");
  }

  private StickyTable<EndpointState> stickyTableFor(ServiceInfo service) {
    if (affinity.mode() == Affinity.Mode.STICKY) {
      return sticky;
    }
    if (affinity.mode() == Affinity.Mode.NONE
        || service.sessionAffinity() != ServiceInfo.SessionAffinity.CLIENT_IP) {
      sticky = null;
      return null;
    }
    Duration timeout = service.sessionAffinityTimeout();
    if (sticky == null || !sticky.idleTimeout().equals(timeout)) {
      sticky = StickyTable.create(timeout, affinity.maxKeys(), ticker);
    }
    return sticky;
  }

  @Override
  public ServiceSnapshot snapshot() {
    Picker p = picker;
    return p == null ? null : p.snapshot;
  }

  @Override
  public List<Endpoint> endpoints() {
    return candidates;
  }

  @Override
  public List<EndpointHealth> health() {
    Picker p = picker;
    if (p == null || p.all == null) {
      return List.of();
    }
    long now = ticker.read();
    List<EndpointHealth> health = new ArrayList<>(p.all.size());
    for (int i = 0; i < p.all.size(); i++) {
      EndpointState s = p.all.states[i];
      boolean ejected = s.isEjected() && !s.ejectionOver(now);
      Duration left = ejected ? Duration.ofNanos(s.ejectedUntil - now) : Duration.ZERO;
      health.add(new EndpointHealth(p.all.endpoints[i], s.inFlight(), ejected, left, s.ejections()));
    }
    return List.copyOf(health);
  }

  @Override
  public long ejections() {
    return ejectionsTotal.get();
  }

  // ---------------------------------------------------------------- request side (any thread)

  @Override
  public Pick pick(PickContext context) {
    Picker p = picker;
    if (p == null || p.all == null) {
      throw noEndpoint(p);
    }
    return handOut(chooseState(p, context));
  }

  @Override
  public Endpoint choose(PickContext context) {
    Picker p = picker;
    if (p == null || p.all == null) {
      throw noEndpoint(p);
    }
    return chooseState(p, context).endpoint;
  }

  @Override
  public Pick start(Endpoint chosen) {
    EndpointState s = states.get(chosen.hostPort());
    if (s == null || s.isRetired()) {
      // Left the Service between the choice and the start: there is nothing to count or report on.
      return Pick.detached(chosen);
    }
    return handOut(s);
  }

  /** The state of the endpoint for this request. */
  private EndpointState chooseState(Picker p, PickContext context) {
    EndpointGroup group = groupFor(p, context);
    if (p.sticky != null && context.stickyKey() != null) {
      return stickyChoice(p, group, context);
    }
    int i = group.selector.select(context);
    EndpointState s = group.states[i];
    if (s.flags == 0 && !context.hasExclusions()) {
      return s;
    }
    return choose(p, group, context, i);
  }

  private EndpointGroup groupFor(Picker p, PickContext context) {
    String zone = context.zone();
    return zone == null || zone.equals(localZone) ? p.local : p.groupForZone(zone);
  }

  private Pick handOut(EndpointState s) {
    if (pool == null) {
      return s.shared;
    }
    return pool.acquire(s.endpoint, s);
  }

  private NoEndpointException noEndpoint(Picker p) {
    if (p == null) {
      return new NoEndpointException(configuredService, NoEndpointException.Reason.NO_SNAPSHOT_YET,
          "no endpoints received yet");
    }
    return new NoEndpointException(p.snapshot.key(), p.emptyReason, p.emptyDetail);
  }

  /**
   * The slow path: the first choice is ejected, warming up or excluded. Asks the policy for
   * alternatives, then scans the group, then all endpoints; a retry that has tried everything gets a
   * tried endpoint again rather than an error.
   */
  private EndpointState choose(Picker p, EndpointGroup first, PickContext context, int firstChoice) {
    long now = ticker.read();
    int total = p.all.size();
    boolean panic = outlier.inPanic(total - ejectedCount.get(), total);
    EndpointGroup group = first;
    int i = firstChoice;
    while (true) {
      for (int attempt = 1; ; attempt++) {
        if (usable(group.states[i], context, now, panic, true)) {
          return group.states[i];
        }
        if (attempt > MAX_RESELECTS) {
          break;
        }
        i = group.selector.reselect(context, attempt);
      }
      int n = group.size();
      int start = context.hasHashKey()
          ? (int) ((context.hashKey() >>> 1) % n)
          : ThreadLocalRandom.current().nextInt(n);
      for (int k = 0; k < n; k++) {
        int j = (start + k) % n;
        if (usable(group.states[j], context, now, panic, false)) {
          return group.states[j];
        }
      }
      if (group == p.all) {
        break;
      }
      group = p.all;
      i = group.selector.select(context);
    }
    if (context.hasExclusions()) {
      PickContext again = context.withoutExclusions();
      EndpointGroup home = groupFor(p, again);
      return choose(p, home, again, home.selector.select(again));
    }
    throw new NoEndpointException(p.snapshot.key(), NoEndpointException.Reason.ALL_EJECTED,
        "all " + total + " usable endpoints are ejected by outlier detection");
  }

  /**
   * Whether a pick may return this endpoint now; ends an ejection or a warm-up that has run out.
   *
   * @param admit whether to apply slow start's admission draw (not while scanning as a last resort)
   */
  private boolean usable(EndpointState s, PickContext context, long now, boolean panic, boolean admit) {
    if (context.hasExclusions() && context.excluded().contains(s.id)) {
      return false;
    }
    int flags = s.flags;
    if ((flags & EndpointState.EJECTED) != 0) {
      if (s.ejectionOver(now)) {
        if (s.clearEjected()) {
          ejectedCount.decrementAndGet();
        }
      } else if (!panic) {
        return false;
      }
    }
    if ((flags & EndpointState.WARMING) != 0) {
      double factor = slowStart.factor(now - s.joinedAt);
      if (factor >= 1.0) {
        s.endWarmUp();
      } else if (admit && ThreadLocalRandom.current().nextDouble() >= factor) {
        return false;
      }
    }
    return true;
  }

  /** The sticky target of the context's key when still usable, else a new one that the key moves to. */
  private EndpointState stickyChoice(Picker p, EndpointGroup group, PickContext context) {
    KeyHash key = context.stickyKey(); // the hash, never the key: its size is the caller's choice
    EndpointState known = p.sticky.get(key);
    if (known != null && !known.isRetired() && stillSticky(known, context)) {
      return known;
    }
    int i = group.selector.select(context);
    EndpointState chosen = group.states[i].flags == 0 && !context.hasExclusions()
        ? group.states[i]
        : choose(p, group, context, i);
    EndpointState winner = p.sticky.stick(key, chosen, s -> !s.isRetired() && stillSticky(s, context));
    return winner.isRetired() ? chosen : winner;
  }

  private boolean stillSticky(EndpointState s, PickContext context) {
    if (context.hasExclusions() && context.excluded().contains(s.id)) {
      return false;
    }
    return !s.isEjected() || s.ejectionOver(ticker.read());
  }

  // ---------------------------------------------------------------- outcomes (any thread)

  @Override
  public void record(EndpointState s, Outcome outcome, long latencyNanos) {
    switch (outcome) {
      case SUCCESS -> {
        s.recordSuccess();
        if (policy == Policy.PEAK_EWMA) {
          s.recordLatency(latencyNanos, ticker.read(), latencyDecayNanos, false);
        }
      }
      case FAILURE -> {
        if (policy == Policy.PEAK_EWMA) {
          // A fast failure must not make a broken pod look attractive: failures only raise the average.
          s.recordLatency(latencyNanos, ticker.read(), latencyDecayNanos, true);
        }
        if (outlier.enabled() && s.recordFailure() >= outlier.consecutiveFailures()) {
          eject(s);
        }
      }
      case CONNECT_FAILURE -> {
        if (outlier.enabled()
            && (outlier.ejectOnConnectFailure() || s.recordFailure() >= outlier.consecutiveFailures())) {
          eject(s);
        }
      }
      case CANCELLED -> { }
    }
  }

  private void eject(EndpointState s) {
    if (s.isEjected() || s.isRetired()) {
      return;
    }
    Picker p = picker;
    int total = p == null || p.all == null ? 0 : p.all.size();
    int max = outlier.maxEjected(total);
    int count;
    do {
      count = ejectedCount.get();
      if (count >= max) {
        return;
      }
    } while (!ejectedCount.compareAndSet(count, count + 1));
    if (!s.eject(ticker.read(), outlier.baseEjectionTime().toNanos(), outlier::ejectionTimeNanos)) {
      ejectedCount.decrementAndGet();
      return;
    }
    ejectionsTotal.incrementAndGet();
    if (s.isRetired() && s.clearEjected()) {
      ejectedCount.decrementAndGet(); // removed from the Service while we ejected it
    }
  }

  // ---------------------------------------------------------------- for tests in this package

  EndpointState stateOf(Endpoint endpoint) {
    return states.get(endpoint.hostPort());
  }

  int ejectedCount() {
    return ejectedCount.get();
  }

  PickPool pool() {
    return pool;
  }

  Picker currentPicker() {
    return picker;
  }
}
