package io.kdiscovery.balancing;

import io.kdiscovery.model.Endpoint;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * What a balancer knows about one endpoint beyond the snapshot: requests in flight, failures in a row,
 * ejection, slow start and the latency average. Keyed by {@code address:port}, it survives picker
 * rebuilds for as long as the endpoint stays usable.
 *
 * <p>Concurrency: every field is written with atomics or volatile writes, by any thread completing a
 * pick. The pick path only reads {@link #flags} and the in-flight count; when {@code flags} is 0 the
 * endpoint is neither ejected nor warming up and nothing else needs a look. Ejection writes its fields
 * under this object's monitor (a rare, reporting-side path) and sets the flag last, so a picker that
 * sees {@link #EJECTED} also sees the matching {@link #ejectedUntil}.
 */
final class EndpointState {

  static final int EJECTED = 1;
  static final int WARMING = 2;

  private static final VarHandle STRIPE = MethodHandles.arrayElementVarHandle(int[].class);
  private static final VarHandle FLAGS;
  private static final VarHandle FAILURES;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      FLAGS = lookup.findVarHandle(EndpointState.class, "flags", int.class);
      FAILURES = lookup.findVarHandle(EndpointState.class, "consecutiveFailures", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** {@code address:port}. */
  final String id;
  /** When the endpoint joined, on the balancer's ticker: the start of its slow start. */
  final long joinedAt;
  /**
   * A small number unique among the balancer's current endpoints, reused after one leaves: what the
   * hashing selectors store as a ring or table owner, so that their tables need no rewrite when other
   * endpoints come and go and shift everyone's array index.
   */
  final int slot;

  /** The endpoint as the latest snapshot has it: its attributes may change while its identity stays. */
  volatile Endpoint endpoint;
  /** For policies that count nothing: the one handle every pick of this endpoint returns. */
  volatile Pick shared;

  // Written and read by the balancer's update thread only.
  int mark;
  int position;

  volatile int flags;
  /**
   * Requests in flight. For the power-of-two-choices policies, which read two endpoints per pick, it is
   * counted per {@linkplain ThreadStripe stripe} of threads (64 bytes apart), so that threads picking
   * the same endpoint at once do not write one cache line, and the count is the sum; a request
   * released on another thread than it was counted on leaves one stripe negative and the sum right.
   * For the IPVS policies, which scan every endpoint per pick, it is one counter: a scan of striped
   * counters would read four cache lines per endpoint.
   */
  private final int[] inFlight;
  private final int stripes;
  private volatile int consecutiveFailures;
  private volatile boolean retired;

  // Ejection bookkeeping, written under the monitor.
  volatile long ejectedUntil;
  private int ejections;

  // Peak EWMA: the latency average in nanoseconds and when it was last updated.
  private volatile double latencyAverage;
  private volatile long latencyStamp;

  EndpointState(String id, long joinedAt, boolean warming) {
    this(id, joinedAt, warming, 0);
  }

  EndpointState(String id, long joinedAt, boolean warming, int slot) {
    this(id, joinedAt, warming, slot, true);
  }

  EndpointState(String id, long joinedAt, boolean warming, int slot, boolean stripedInFlight) {
    this.id = id;
    this.joinedAt = joinedAt;
    this.flags = warming ? WARMING : 0;
    this.slot = slot;
    this.stripes = stripedInFlight ? ThreadStripe.COUNT : 1;
    this.inFlight = new int[stripedInFlight ? ThreadStripe.COUNT * ThreadStripe.STRIDE : 1];
  }

  int inFlight() {
    int sum = 0;
    for (int s = 0; s < stripes; s++) {
      sum += (int) STRIPE.getVolatile(inFlight, s * ThreadStripe.STRIDE);
    }
    return sum;
  }

  void acquireInFlight() {
    STRIPE.getAndAdd(inFlight, stripes == 1 ? 0 : ThreadStripe.current() * ThreadStripe.STRIDE, 1);
  }

  void releaseInFlight() {
    STRIPE.getAndAdd(inFlight, stripes == 1 ? 0 : ThreadStripe.current() * ThreadStripe.STRIDE, -1);
  }

  boolean isEjected() {
    return (flags & EJECTED) != 0;
  }

  boolean isRetired() {
    return retired;
  }

  int recordFailure() {
    return (int) FAILURES.getAndAdd(this, 1) + 1;
  }

  void recordSuccess() {
    if (consecutiveFailures != 0) { // skip the write, and the cache-line traffic, in the common case
      consecutiveFailures = 0;
    }
  }

  /**
   * Ejects this endpoint if it is not ejected yet, for the time {@code ejectionTime} gives for its
   * ejection count; the count decays by one per {@code decayNanos} spent out of ejection.
   *
   * @return true when this call ejected it
   */
  synchronized boolean eject(long now, long decayNanos, java.util.function.IntToLongFunction ejectionTime) {
    if (isEjected() || retired) {
      return false;
    }
    if (ejections > 0) {
      long healthyFor = now - ejectedUntil;
      long decay = healthyFor <= 0 ? 0 : healthyFor / decayNanos;
      ejections = (int) Math.max(0, ejections - decay);
    }
    ejections++;
    ejectedUntil = now + ejectionTime.applyAsLong(ejections);
    consecutiveFailures = 0;
    setFlag(EJECTED);
    return true;
  }

  int ejections() {
    synchronized (this) {
      return ejections;
    }
  }

  /** Returns the endpoint from ejection; true when this call did it. */
  boolean clearEjected() {
    return clearFlag(EJECTED);
  }

  /** Whether the ejection has run its time at {@code now}. */
  boolean ejectionOver(long now) {
    return now - ejectedUntil >= 0;
  }

  void endWarmUp() {
    clearFlag(WARMING);
  }

  /** Marks the endpoint gone from the Service; ejecting it afterwards is refused. */
  void retire() {
    retired = true;
  }

  private void setFlag(int flag) {
    int f;
    do {
      f = flags;
    } while (!FLAGS.compareAndSet(this, f, f | flag));
  }

  private boolean clearFlag(int flag) {
    int f;
    do {
      f = flags;
      if ((f & flag) == 0) {
        return false;
      }
    } while (!FLAGS.compareAndSet(this, f, f & ~flag));
    return true;
  }

  /**
   * Folds one latency into the peak EWMA: a slower answer than the average replaces it at once, a
   * faster one pulls it down with weight {@code 1 - exp(-elapsed / decay)}; with {@code onlyIfHigher}
   * only the first happens. Concurrent completions may
   * each miss the other's update: the average is a heuristic, and a lock here would cost more.
   */
  void recordLatency(long latencyNanos, long now, double decayNanos, boolean onlyIfHigher) {
    double previous = latencyAverage;
    if (onlyIfHigher && latencyNanos <= previous) {
      return;
    }
    long elapsed = Math.max(0, now - latencyStamp);
    if (latencyNanos == (long) previous && elapsed < decayNanos / 1024) {
      // The same latency again, moments later: the average would not move. Skipping both writes keeps
      // threads completing picks of one endpoint at once from fighting over its cache line.
      return;
    }
    latencyStamp = now;
    if (latencyNanos > previous || previous == 0) {
      latencyAverage = latencyNanos;
    } else {
      double w = Math.exp(-elapsed / decayNanos);
      latencyAverage = previous * w + latencyNanos * (1 - w);
    }
  }

  /** The latency average at {@code now}: decays toward zero while nothing is reported, so a pod once slow is tried again. */
  double latencyAverage(long now, double decayNanos) {
    double average = latencyAverage;
    if (average == 0) {
      return 0;
    }
    long elapsed = now - latencyStamp;
    return elapsed <= 0 ? average : average * Math.exp(-elapsed / decayNanos);
  }

  @Override
  public String toString() {
    return id + (isEjected() ? " ejected" : "") + " inFlight=" + inFlight();
  }
}
