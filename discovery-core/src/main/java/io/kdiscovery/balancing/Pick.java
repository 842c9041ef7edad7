package io.kdiscovery.balancing;

import io.kdiscovery.model.Endpoint;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * The endpoint chosen for one request, and the way to report how the request went.
 *
 * <p>The contract: send the request to {@link #endpoint()}, then call exactly one of
 * {@link #success}, {@link #failure}, {@link #connectFailure()}, {@link #cancel()} or
 * {@link #complete} once it has ended, from any thread, and do not touch the pick again. Reported
 * outcomes feed passive health checking (ejection) and the latency-aware policies.
 *
 * <p>Handles are reused so that picking allocates nothing, and what a handle is depends on the policy:
 * <ul>
 *   <li>For the load-aware policies ({@link Policy#usesInFlight()}) each pick takes a handle from a pool
 *       and counts one request in flight on its endpoint until completed. A second completion is
 *       ignored (the handle is completed once); a pick that is never completed is reclaimed after the
 *       balancer's abandoned-pick timeout, so in-flight counts cannot drift for good; a completion that
 *       arrives after that still reports its outcome. Because the handle returns to the pool on
 *       completion, a completion made after the handle was handed out again would land on another
 *       request: that is why a completed pick must not be used again.
 *   <li>For the other policies the handle is shared by every request to that endpoint and counts
 *       nothing; completing it only reports an outcome (so forgetting costs nothing, and completing
 *       twice reports twice).
 * </ul>
 * Latencies are in nanoseconds, measured by the caller, e.g. with {@code System.nanoTime()}.
 */
public final class Pick {

  // Phases of a pooled handle, in the low two bits of status; the rest counts hand-outs, so that the
  // reclaimer's compare-and-set can never hit a later hand-out of the same slot.
  static final long FREE = 0;
  static final long CLAIMING = 1;
  static final long IN_USE = 2;
  static final long ABANDONED = 3;
  private static final long PHASE = 3;
  private static final long ONE_HAND_OUT = 4;

  private static final VarHandle STATUS;

  static {
    try {
      STATUS = MethodHandles.lookup().findVarHandle(Pick.class, "status", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final OutcomeSink sink;
  private final boolean counted;
  private Endpoint endpoint;
  private EndpointState state;
  private int epoch;
  private volatile long status;

  private Pick(OutcomeSink sink, boolean counted, Endpoint endpoint, EndpointState state) {
    this.sink = sink;
    this.counted = counted;
    this.endpoint = endpoint;
    this.state = state;
  }

  /** A shared handle of a policy that counts nothing in flight. */
  static Pick shared(OutcomeSink sink, Endpoint endpoint, EndpointState state) {
    return new Pick(sink, false, endpoint, state);
  }

  /** An empty pooled handle. */
  static Pick pooled(OutcomeSink sink) {
    return new Pick(sink, true, null, null);
  }

  /** A counted handle outside the pool, for when every pooled one is in use: never reclaimed. */
  static Pick unpooled(OutcomeSink sink, Endpoint endpoint, EndpointState state) {
    Pick pick = new Pick(sink, true, endpoint, state);
    pick.status = IN_USE;
    return pick;
  }

  /** The endpoint to send the request to; never null. */
  public Endpoint endpoint() {
    return endpoint;
  }

  /** The endpoint answered; {@code latencyNanos} is how long it took. */
  public void success(long latencyNanos) {
    complete(Outcome.SUCCESS, latencyNanos);
  }

  /** The endpoint failed the request after {@code latencyNanos}. */
  public void failure(long latencyNanos) {
    complete(Outcome.FAILURE, latencyNanos);
  }

  /** Nothing answered at the endpoint's address. */
  public void connectFailure() {
    complete(Outcome.CONNECT_FAILURE, 0);
  }

  /** The request was not sent after all: releases the pick without reporting anything. */
  public void cancel() {
    complete(Outcome.CANCELLED, 0);
  }

  /** Reports how the request ended; only the first completion of a counted pick counts. */
  public void complete(Outcome outcome, long latencyNanos) {
    Objects.requireNonNull(outcome, "outcome");
    if (!counted) {
      sink.record(state, outcome, latencyNanos);
      return;
    }
    long s = status;
    EndpointState target = state; // read before the release below lets another request reuse us
    long phase = s & PHASE;
    if (phase == IN_USE) {
      if (STATUS.compareAndSet(this, s, (s & ~PHASE) | FREE)) {
        target.releaseInFlight();
        sink.record(target, outcome, latencyNanos);
      }
    } else if (phase == ABANDONED) {
      // Reclaimed already (its in-flight count was released then); the outcome is still news.
      if (STATUS.compareAndSet(this, s, (s & ~PHASE) | FREE)) {
        sink.record(target, outcome, latencyNanos);
      }
    }
    // FREE or CLAIMING: completed before; ignore.
  }

  /** Takes this free pooled handle for a request; false when it is in use. */
  boolean tryClaim(Endpoint endpoint, EndpointState state, int epoch) {
    long s = status;
    if ((s & PHASE) != FREE) {
      return false;
    }
    long claimed = (s & ~PHASE) + ONE_HAND_OUT;
    if (!STATUS.compareAndSet(this, s, claimed | CLAIMING)) {
      return false;
    }
    this.endpoint = endpoint;
    this.state = state;
    this.epoch = epoch;
    STATUS.setRelease(this, claimed | IN_USE); // publishes the fields to the reclaimer
    return true;
  }

  /** Reclaims this handle if it was handed out before {@code oldestLiveEpoch}; true when it did. */
  boolean reclaimIfOlderThan(int oldestLiveEpoch) {
    long s = status;
    if ((s & PHASE) != IN_USE || epoch - oldestLiveEpoch >= 0) {
      return false;
    }
    EndpointState target = state;
    if (STATUS.compareAndSet(this, s, (s & ~PHASE) | ABANDONED)) {
      target.releaseInFlight();
      return true;
    }
    return false;
  }

  boolean inUse() {
    return (status & PHASE) == IN_USE;
  }

  @Override
  public String toString() {
    return "Pick[" + endpoint + "]";
  }
}
