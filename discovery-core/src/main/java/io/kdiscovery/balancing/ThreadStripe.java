package io.kdiscovery.balancing;

/**
 * Spreads request threads over a few stripes of a shared counter, so that two threads picking at once
 * rarely write the same cache line. A thread's stripe is a Fibonacci hash of its id: stable for the
 * thread, different for consecutive ids, one multiply and no thread-local lookup.
 */
final class ThreadStripe {

  /** Stripes per counter: twice the processors, as a power of two. */
  static final int COUNT = Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors())) << 1;
  /** Ints between two stripes' counters, so that they sit 64 bytes apart. */
  static final int STRIDE = 16;
  private static final int SHIFT = 64 - Integer.numberOfTrailingZeros(COUNT);

  private ThreadStripe() {}

  /** The calling thread's stripe, 0 to {@link #COUNT} - 1. */
  static int current() {
    return COUNT == 1 ? 0 : (int) ((Thread.currentThread().getId() * 0x9E3779B97F4A7C15L) >>> SHIFT);
  }
}
