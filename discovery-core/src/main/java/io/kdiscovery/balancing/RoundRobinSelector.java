package io.kdiscovery.balancing;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Each endpoint in turn. The cursor starts at a random place so that many clients started together
 * do not all send their first request to the same pod.
 */
final class RoundRobinSelector implements Selector {

  private final int size;
  private final AtomicInteger cursor;

  RoundRobinSelector(int size) {
    this.size = size;
    this.cursor = new AtomicInteger(ThreadLocalRandom.current().nextInt(size));
  }

  @Override
  public int select(PickContext context) {
    // Masking the sign keeps the index valid after the counter wraps; the one skip every 2^31 picks
    // that it causes does not matter.
    return (cursor.getAndIncrement() & Integer.MAX_VALUE) % size;
  }
}
