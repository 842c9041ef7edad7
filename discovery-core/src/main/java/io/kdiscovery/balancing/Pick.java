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
 *       ignored (the handle is completed once). A pick that is never completed is reclaimed after the
 *       balancer's abandoned-pick timeout: its in-flight count is released and its pool slot gets a new
 *       handle, so neither counts nor the pool drift; the forgotten handle itself is never handed out
 *       again, so a completion that arrives late still reports its outcome, on its own endpoint, and
 *       touches no other request. Because a completed handle returns to the pool, a completion made
 *       after the handle was handed out again would land on another request: that is why a completed
 *       pick must not be used again.
 *   <li>For the other policies the handle is shared by every request to that endpoint and counts
 *       nothing; completing it only reports an outcome (so forgetting costs nothing, and completing
 *       twice reports twice).
 * </ul>
 * Latencies are in nanoseconds, measured by the caller, e.g. with {@code System.nanoTime()}.
 */
public final class Pick {

  // Phases of a counted handle, in the low three bits of status; the rest counts hand-outs, so that
  // the reclaimer's compare-and-set can never hit a later hand-out of the same slot.
  //   pooled:   FREE -> CLAIMING -> IN_USE -> FREE (completed)      or IN_USE -> ABANDONED (reclaimed)
  //   overflow:                      IN_USE -> DONE (completed)      or IN_USE -> ABANDONED (reclaimed)
  //   ABANDONED -> DONE when its late completion arrives. ABANDONED and DONE are final for the pool:
  //   the reclaimer puts a new handle into an abandoned handle's slot.
  static final long FREE = 0;
  static final long CLAIMING = 1;
  static final long IN_USE = 2;
  static final long ABANDONED = 3;
  static final long DONE = 4;
  private static final long PHASE = 7;
  private static final long ONE_HAND_OUT = 8;

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
  private final boolean pooled;
  private Endpoint endpoint;
  private EndpointState state;
  private int epoch;
  private volatile long status;

  private Pick(OutcomeSink sink, boolean counted, boolean pooled, Endpoint endpoint, EndpointState state) {
    this.sink = sink;
    this.counted = counted;
    this.pooled = pooled;
    this.endpoint = endpoint;
    this.state = state;
  }

  /** A shared handle of a policy that counts nothing in flight. */
  static Pick shared(OutcomeSink sink, Endpoint endpoint, EndpointState state) {
    return new Pick(sink, false, false, endpoint, state);
  }

  /** An empty pooled handle. */
  static Pick pooled(OutcomeSink sink) {
    return new Pick(sink, true, true, null, null);
  }

  /** A handle for an endpoint the balancer no longer has: counts nothing, reports nothing. */
  static Pick detached(Endpoint endpoint) {
    return new Pick(null, false, false, endpoint, null);
  }

  /**
   * A counted handle outside the pool, for when every pooled one is in use; the pool keeps it in its
   * overflow list and reclaims it like a pooled one.
   */
  static Pick overflow(OutcomeSink sink, Endpoint endpoint, EndpointState state, int epoch) {
    Pick pick = new Pick(sink, true, false, endpoint, state);
    pick.epoch = epoch;
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
      if (sink != null) { // null: detached
        sink.record(state, outcome, latencyNanos);
      }
      return;
    }
    // A loop, not one compare-and-set: the reclaimer may move an in-use handle to ABANDONED between
    // our read and our write, and that completion must then still be reported.
    while (true) {
      long s = status;
      EndpointState target = state; // read before the release below lets another request reuse us
      long phase = s & PHASE;
      if (phase == IN_USE) {
        if (STATUS.compareAndSet(this, s, (s & ~PHASE) | (pooled ? FREE : DONE))) {
          target.releaseInFlight();
          sink.record(target, outcome, latencyNanos);
          return;
        }
      } else if (phase == ABANDONED) {
        // Reclaimed already (its in-flight count was released then); the outcome is still news.
        if (STATUS.compareAndSet(this, s, (s & ~PHASE) | DONE)) {
          sink.record(target, outcome, latencyNanos);
          return;
        }
      } else {
        return; // FREE, CLAIMING (handed out again) or DONE: this pick was completed before
      }
    }
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

  boolean isFree() {
    return (status & PHASE) == FREE;
  }

  /** Whether this handle is done with for good: completed or reclaimed (overflow handles only). */
  boolean finished() {
    long phase = status & PHASE;
    return phase == DONE || phase == ABANDONED;
  }

  @Override
  public String toString() {
    return "Pick[" + endpoint + "]";
  }
}
