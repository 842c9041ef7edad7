package io.kdiscovery.balancing;

import java.util.Arrays;

/**
 * Hands out small numbers for endpoint states and takes them back when an endpoint leaves, so that the
 * numbers stay below the largest number of endpoints the balancer has held at once. Update thread only.
 */
final class Slots {

  private int[] free = new int[16];
  private int freeCount;
  private int next;

  int take() {
    return freeCount > 0 ? free[--freeCount] : next++;
  }

  void give(int slot) {
    if (freeCount == free.length) {
      free = Arrays.copyOf(free, free.length * 2);
    }
    free[freeCount++] = slot;
  }
}
