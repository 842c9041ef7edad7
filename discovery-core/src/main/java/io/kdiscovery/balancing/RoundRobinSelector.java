package io.kdiscovery.balancing;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Each endpoint in turn. Each {@linkplain ThreadStripe stripe} of request threads has its own cursor,
 * started at its own place on the list, so that two threads picking at once do not fight over one
 * counter; every stripe walks the whole list in order, so the load stays even. The first cursor starts
 * at a random place so that many clients started together do not all send their first request to the
 * same pod.
 */
final class RoundRobinSelector implements Selector {

  private final int size;
  private final AtomicIntegerArray cursors;

  RoundRobinSelector(int size) {
    this.size = size;
    this.cursors = new AtomicIntegerArray(ThreadStripe.COUNT * ThreadStripe.STRIDE);
    int start = ThreadLocalRandom.current().nextInt(size);
    for (int s = 0; s < ThreadStripe.COUNT; s++) {
      cursors.set(s * ThreadStripe.STRIDE, start + (int) ((long) s * size / ThreadStripe.COUNT));
    }
  }

  @Override
  public int select(PickContext context) {
    // Masking the sign keeps the index valid after the counter wraps; the one skip every 2^31 picks
    // that it causes does not matter.
    return (cursors.getAndIncrement(ThreadStripe.current() * ThreadStripe.STRIDE) & Integer.MAX_VALUE) % size;
  }
}
