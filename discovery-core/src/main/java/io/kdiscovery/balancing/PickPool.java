package io.kdiscovery.balancing;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.time.Ticker;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The reusable {@link Pick} handles of a load-aware balancer, and the reclaimer of picks that were
 * never completed.
 *
 * <p>Concurrency: a fixed ring of handles and a cursor. {@link #acquire} takes the handle under the
 * cursor, or one of the next few, with one compare-and-set, so picking allocates nothing; only when
 * they are all in use (more requests outstanding than the pool holds, or many leaked picks) does it
 * reclaim, then fall back to a fresh handle outside the pool. Reclaiming needs no timestamp per pick:
 * time is cut into epochs of the abandoned-pick timeout, each handle remembers the epoch it was handed
 * out in, and a handle still in use two epochs later is at least one timeout old. A reclaim pass runs
 * when the cursor completes a lap of the ring, on each snapshot update, and when the pool runs dry;
 * one thread at a time does it, with a flag, never a lock.
 */
final class PickPool {

  private static final int PROBES = 4;

  private final Pick[] slots;
  private final int mask;
  private final OutcomeSink sink;
  private final Ticker ticker;
  private final long epochNanos;
  private final AtomicInteger cursor = new AtomicInteger();
  private final AtomicBoolean reclaiming = new AtomicBoolean();
  private volatile int epoch;
  private long epochStartedAt; // guarded by reclaiming

  PickPool(int capacity, OutcomeSink sink, Ticker ticker, long abandonAfterNanos) {
    int size = Integer.highestOneBit(Math.max(PROBES, capacity - 1)) << 1;
    this.slots = new Pick[size];
    for (int i = 0; i < size; i++) {
      slots[i] = Pick.pooled(sink);
    }
    this.mask = size - 1;
    this.sink = sink;
    this.ticker = ticker;
    this.epochNanos = abandonAfterNanos;
    this.epochStartedAt = ticker.read();
  }

  /** Counts a request in flight on {@code state} and hands out a handle for it. */
  Pick acquire(Endpoint endpoint, EndpointState state) {
    state.acquireInFlight();
    int start = cursor.getAndIncrement();
    if ((start & mask) == 0) {
      reclaim();
    }
    int currentEpoch = epoch;
    for (int probe = 0; probe < PROBES; probe++) {
      Pick slot = slots[(start + probe) & mask];
      if (slot.tryClaim(endpoint, state, currentEpoch)) {
        return slot;
      }
    }
    reclaim();
    return Pick.unpooled(sink, endpoint, state);
  }

  /**
   * Starts a new epoch if the current one has lasted a timeout, and releases the picks handed out two
   * or more epochs ago. Returns how many it released.
   */
  int reclaim() {
    if (!reclaiming.compareAndSet(false, true)) {
      return 0;
    }
    try {
      long now = ticker.read();
      if (now - epochStartedAt >= epochNanos) {
        epochStartedAt = now;
        epoch = epoch + 1;
      }
      int oldestLive = epoch - 1;
      int released = 0;
      for (Pick slot : slots) {
        if (slot.reclaimIfOlderThan(oldestLive)) {
          released++;
        }
      }
      return released;
    } finally {
      reclaiming.set(false);
    }
  }

  int capacity() {
    return slots.length;
  }

  int inUse() {
    int n = 0;
    for (Pick slot : slots) {
      if (slot.inUse()) {
        n++;
      }
    }
    return n;
  }
}
