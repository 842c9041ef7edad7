package io.kdiscovery.balancing;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.time.Ticker;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The reusable {@link Pick} handles of a load-aware balancer, and the reclaimer of picks that were
 * never completed.
 *
 * <pre>
 * Concurrency design
 *
 *   slots:   one fixed array of handles, cut into stripes; a thread takes handles from the stripe its
 *            thread id hashes to, so two request threads rarely touch the same cursor or handle
 *   acquire: cursor of the stripe++ ; try PROBES handles with one compare-and-set each (FREE -> IN_USE);
 *            then the other stripes; only when every probe fails: an overflow handle (allocated),
 *            remembered in a lock-free queue so that it is reclaimed like a pooled one
 *   reclaim: one thread at a time (a flag, never a lock). Time is cut into epochs of the abandoned-pick
 *            timeout on the injected ticker; each handle remembers the epoch it was handed out in, so a
 *            handle still in use two epochs later is at least one timeout old: its in-flight count is
 *            released (IN_USE -> ABANDONED) and its slot gets a NEW handle, so the pool is whole again
 *            while the forgotten handle stays with its holder, whose late completion then reports its
 *            outcome and touches nobody else's request. A pass scans only when an epoch has begun since
 *            the last pass (nothing else can have grown old), so it costs one ticker read otherwise.
 *            It runs when a cursor completes a lap of its stripe, on each snapshot update and when the
 *            pool runs dry.
 * </pre>
 *
 * Allocation happens only on the rare paths: an overflow handle, and one new handle per reclaimed one.
 * {@link #created()} counts them, so tests can prove that after a reclaim picks allocate nothing.
 */
final class PickPool {

  private static final int PROBES = 4;
  /** Cursors sit 16 ints (64 bytes) apart so that two stripes' cursors never share a cache line. */
  private static final int CURSOR_STRIDE = 16;

  private final Pick[] slots;
  private final int stripeMask;
  private final int stripeShift; // 64 - log2(stripes), for Fibonacci hashing of thread ids
  private final int stripes;
  private final OutcomeSink sink;
  private final Ticker ticker;
  private final long epochNanos;
  private final AtomicIntegerArray cursors;
  private final AtomicBoolean reclaiming = new AtomicBoolean();
  private final ConcurrentLinkedQueue<Pick> overflow = new ConcurrentLinkedQueue<>();
  private final AtomicInteger overflowSize = new AtomicInteger();
  private final AtomicLong created = new AtomicLong();
  private volatile int epoch;
  // Guarded by reclaiming:
  private long epochStartedAt;
  private int scannedEpoch;
  private int overflowPurgeAt;

  PickPool(int capacity, OutcomeSink sink, Ticker ticker, long abandonAfterNanos) {
    int size = Integer.highestOneBit(Math.max(PROBES, capacity - 1)) << 1;
    int wantedStripes = Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors())) << 1;
    this.stripes = Math.max(1, Math.min(wantedStripes, size / (PROBES * 4)));
    this.stripeMask = size / stripes - 1;
    this.stripeShift = 64 - Integer.numberOfTrailingZeros(stripes);
    this.slots = new Pick[size];
    for (int i = 0; i < size; i++) {
      slots[i] = Pick.pooled(sink);
    }
    this.created.set(size);
    this.cursors = new AtomicIntegerArray(stripes * CURSOR_STRIDE);
    this.sink = sink;
    this.ticker = ticker;
    this.epochNanos = abandonAfterNanos;
    this.epochStartedAt = ticker.read();
    this.overflowPurgeAt = size;
  }

  /** Counts a request in flight on {@code state} and hands out a handle for it. */
  Pick acquire(Endpoint endpoint, EndpointState state) {
    state.acquireInFlight();
    int currentEpoch = epoch;
    int home = homeStripe();
    for (int k = 0; k < stripes; k++) {
      int stripe = (home + k) & (stripes - 1);
      int start = cursors.getAndIncrement(stripe * CURSOR_STRIDE);
      if ((start & stripeMask) == 0 && k == 0) {
        reclaim();
      }
      int base = stripe * (stripeMask + 1);
      for (int probe = 0; probe < PROBES; probe++) {
        Pick slot = slots[base + ((start + probe) & stripeMask)];
        if (slot.tryClaim(endpoint, state, currentEpoch)) {
          return slot;
        }
      }
    }
    return overflowHandle(endpoint, state, currentEpoch);
  }

  private int homeStripe() {
    if (stripes == 1) {
      return 0;
    }
    // Fibonacci hashing: consecutive thread ids land in different stripes.
    return (int) ((Thread.currentThread().getId() * 0x9E3779B97F4A7C15L) >>> stripeShift);
  }

  private Pick overflowHandle(Endpoint endpoint, EndpointState state, int currentEpoch) {
    reclaim();
    Pick pick = Pick.overflow(sink, endpoint, state, currentEpoch);
    created.incrementAndGet();
    overflow.add(pick);
    if (overflowSize.incrementAndGet() >= overflowPurgeAt && reclaiming.compareAndSet(false, true)) {
      try {
        // Amortized: the next purge waits until the list has doubled, so a pool that is legitimately
        // saturated does not scan the list on every pick.
        purgeOverflow(epoch - 1);
        overflowPurgeAt = Math.max(slots.length, 2 * overflowSize.get());
      } finally {
        reclaiming.set(false);
      }
    }
    return pick;
  }

  /**
   * Starts the epochs that have run out, and releases the picks handed out two or more epochs ago.
   * Returns how many it released.
   */
  int reclaim() {
    if (!reclaiming.compareAndSet(false, true)) {
      return 0;
    }
    try {
      long elapsed = ticker.read() - epochStartedAt;
      if (elapsed >= epochNanos) {
        long epochs = Math.min(elapsed / epochNanos, 1 << 20);
        epochStartedAt += epochs * epochNanos;
        epoch = epoch + (int) epochs;
      }
      int now = epoch;
      if (now == scannedEpoch) {
        return 0;
      }
      scannedEpoch = now;
      int oldestLive = now - 1;
      int released = 0;
      for (int i = 0; i < slots.length; i++) {
        if (slots[i].reclaimIfOlderThan(oldestLive)) {
          // The forgotten handle stays with its holder; the slot gets a fresh one. A thread that read
          // the old handle from the slot just fails its claim on it (it is no longer FREE).
          slots[i] = Pick.pooled(sink);
          created.incrementAndGet();
          released++;
        }
      }
      return released + purgeOverflow(oldestLive);
    } finally {
      reclaiming.set(false);
    }
  }

  /**
   * Reclaims the overflow handles handed out before {@code oldestLive} and drops the finished ones from
   * the list; returns how many it reclaimed. Called with the reclaiming flag held.
   */
  private int purgeOverflow(int oldestLive) {
    int released = 0;
    for (Iterator<Pick> it = overflow.iterator(); it.hasNext(); ) {
      Pick pick = it.next();
      if (pick.reclaimIfOlderThan(oldestLive)) {
        released++;
      }
      if (pick.finished()) {
        it.remove();
        overflowSize.decrementAndGet();
      }
    }
    return released;
  }

  int capacity() {
    return slots.length;
  }

  int stripes() {
    return stripes;
  }

  /** Handles in use: pooled ones and overflow ones. */
  int inUse() {
    int n = 0;
    for (Pick slot : slots) {
      if (slot.inUse()) {
        n++;
      }
    }
    for (Pick pick : overflow) {
      if (pick.inUse()) {
        n++;
      }
    }
    return n;
  }

  /** Pooled handles ready to be handed out. */
  int free() {
    int n = 0;
    for (Pick slot : slots) {
      if (slot.isFree()) {
        n++;
      }
    }
    return n;
  }

  /** Overflow handles not yet dropped from the overflow list. */
  int overflowHandles() {
    return overflowSize.get();
  }

  /** Every handle this pool has ever made: the slots, their replacements and overflow handles. */
  long created() {
    return created.get();
  }
}
