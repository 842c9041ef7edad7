package io.kdiscovery.balancing;

import io.kdiscovery.model.Endpoint;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Weighted round robin without a lock: lay the endpoints out on a line of {@code totalWeight} slots,
 * each endpoint owning as many consecutive slots as its weight, and visit the slots in the order
 * {@code n * stride mod totalWeight} for a stride coprime with the total. Every cycle of
 * {@code totalWeight} picks then gives each endpoint exactly its weight, and the large stride spreads
 * an endpoint's turns over the cycle instead of bunching them, much as smooth weighted round robin
 * does, at the cost of one atomic increment and a binary search. Each stripe of request threads
 * ({@link ThreadStripe}) walks the cycle with its own cursor, from its own place, so that threads
 * picking at once do not share a counter; each stripe's walk is exact, so the sum is.
 */
final class WeightedRoundRobinSelector implements Selector {

  private final long[] slotEnds; // slotEnds[i]: the first slot after endpoint i's run
  private final long totalWeight;
  private final long stride;
  private final AtomicLongArray cursors; // one per stripe of request threads, 64 bytes apart

  private WeightedRoundRobinSelector(long[] slotEnds, long totalWeight, long stride) {
    this.slotEnds = slotEnds;
    this.totalWeight = totalWeight;
    this.stride = stride;
    this.cursors = new AtomicLongArray(ThreadStripe.COUNT * CURSOR_STRIDE);
    long start = ThreadLocalRandom.current().nextLong(totalWeight);
    for (int s = 0; s < ThreadStripe.COUNT; s++) {
      cursors.set(s * CURSOR_STRIDE, start + s * totalWeight / ThreadStripe.COUNT);
    }
  }

  private static final int CURSOR_STRIDE = 8; // longs: 64 bytes

  static WeightedRoundRobinSelector create(Endpoint[] endpoints) {
    long[] ends = new long[endpoints.length];
    long total = 0;
    for (int i = 0; i < endpoints.length; i++) {
      total += endpoints[i].weight();
      ends[i] = total;
    }
    return new WeightedRoundRobinSelector(ends, total, coprimeStride(total));
  }

  /** A stride near the golden section of the total, coprime with it, so the walk visits every slot. */
  static long coprimeStride(long total) {
    if (total <= 2) {
      return 1;
    }
    long stride = Math.max(1, (long) (total * 0.6180339887));
    while (gcd(stride, total) != 1) {
      stride++;
    }
    return stride;
  }

  private static long gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  @Override
  public int select(PickContext context) {
    long turn = (cursors.getAndIncrement(ThreadStripe.current() * CURSOR_STRIDE) & Long.MAX_VALUE) % totalWeight;
    // turn and stride are below totalWeight (at most 65535 * endpoints), so the product fits a long.
    long slot = turn * stride % totalWeight;
    int i = Arrays.binarySearch(slotEnds, slot + 1);
    return i >= 0 ? i : -i - 1;
  }
}
