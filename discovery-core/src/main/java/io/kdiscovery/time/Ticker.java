package io.kdiscovery.time;

/**
 * A source of monotonic nanoseconds, injected wherever logic depends on elapsed time (timeouts,
 * backoff, ejection, slow start, latency averages) so that tests can run it on fake time.
 *
 * <p>Implementations must be thread-safe and cheap: the pick path may read it.
 */
@FunctionalInterface
public interface Ticker {

  /** Nanoseconds from an arbitrary origin; only differences mean anything. */
  long read();

  /** {@link System#nanoTime()}. */
  static Ticker system() {
    return System::nanoTime;
  }
}
