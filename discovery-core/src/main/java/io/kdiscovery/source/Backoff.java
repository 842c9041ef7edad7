package io.kdiscovery.source;

import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * Jittered exponential backoff for retrying a watch or a query: attempt {@code n} (from 0) waits a
 * random time in {@code [d/2, d]} where {@code d = min(max, initial * 2^n)}. Jitter keeps a fleet of
 * clients that lost the API server together from reconnecting in lockstep.
 *
 * <p>Immutable and thread-safe. The random source is injected so tests can fix it.
 */
public final class Backoff {

  private static final Backoff DEFAULT = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(30));

  private final Duration initial;
  private final Duration max;

  private Backoff(Duration initial, Duration max) {
    this.initial = initial;
    this.max = max;
  }

  /** 250 ms doubling up to 30 s. */
  public static Backoff defaults() {
    return DEFAULT;
  }

  /**
   * @throws IllegalArgumentException unless {@code 0 < initial <= max}
   */
  public static Backoff of(Duration initial, Duration max) {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException("initial backoff must be positive: " + initial);
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("max backoff " + max + " is below initial " + initial);
    }
    return new Backoff(initial, max);
  }

  public Duration initial() {
    return initial;
  }

  public Duration max() {
    return max;
  }

  /**
   * The wait before retry number {@code attempt} (0 for the first retry).
   *
   * @param random uniform values in [0, 1), e.g. {@code ThreadLocalRandom.current()::nextDouble}
   */
  public Duration delay(int attempt, DoubleSupplier random) {
    long initialNanos = initial.toNanos();
    long maxNanos = max.toNanos();
    int shift = Math.min(Math.max(attempt, 0), 62);
    long ceiling = initialNanos > (maxNanos >> shift) ? maxNanos : Math.min(maxNanos, initialNanos << shift);
    long half = ceiling / 2;
    return Duration.ofNanos(half + (long) (random.getAsDouble() * (ceiling - half)));
  }

  @Override
  public String toString() {
    return "Backoff[" + initial + " .. " + max + "]";
  }
}
