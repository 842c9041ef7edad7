package io.kdiscovery.source;

import io.kdiscovery.time.Ticker;
import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * Jittered exponential backoff for retrying a watch or a query: attempt {@code n} (from 0) waits a
 * random time in {@code [d/2, d]} where {@code d = min(max, initial * 2^n)}. Jitter keeps a fleet of
 * clients that lost the API server together from reconnecting in lockstep.
 *
 * <p>Immutable and thread-safe. The random source is injected so tests can fix it.
 *
 * <p>What counts as "the same failure again" is the caller's to say; {@link #attempts} keeps that
 * count for a connection that can open and then die: the count is reset only once a connection
 * has stayed up for a while, so a watch that the server accepts and then ends at once still backs
 * off ever longer instead of retrying at the initial delay forever.
 */
public final class Backoff {

  // client-go's reflector: 800 ms doubling to 30 s (with jitter; reset after 2 min of health, which
  // the caller's Attempts says). Its first retry is neither a storm nor a long wait.
  private static final Backoff DEFAULT = new Backoff(Duration.ofMillis(800), Duration.ofSeconds(30));

  private final Duration initial;
  private final Duration max;

  private Backoff(Duration initial, Duration max) {
    this.initial = initial;
    this.max = max;
  }

  /** 800 ms doubling up to 30 s, where client-go's reflector starts and stops. */
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

  /**
   * A counter of failures in a row for one connection retried with this backoff.
   *
   * @param ticker the clock that says how long a connection stayed up
   * @param stableAfter how long a connection must stay up before its next failure counts as the
   *     first again (positive)
   * @param random uniform values in [0, 1) for the jitter
   */
  public Attempts attempts(Ticker ticker, Duration stableAfter, DoubleSupplier random) {
    return new Attempts(this, ticker, stableAfter, random);
  }

  @Override
  public String toString() {
    return "Backoff[" + initial + " .. " + max + "]";
  }

  /**
   * Failures in a row of one connection (a watch, a query loop), and the delay before each retry.
   *
   * <p>Not thread-safe: use it from the one serial context that owns the connection. Call
   * {@link #opened()} when the connection is established and {@link #failed()} when it fails or
   * ends unexpectedly; a failure after the connection stayed up at least {@code stableAfter} starts
   * counting from the first attempt again, any earlier failure continues the count.
   */
  public static final class Attempts {
    private static final long NOT_OPEN = Long.MIN_VALUE;

    private final Backoff backoff;
    private final Ticker ticker;
    private final long stableAfterNanos;
    private final DoubleSupplier random;
    private int failures;
    private long openedAt = NOT_OPEN;

    private Attempts(Backoff backoff, Ticker ticker, Duration stableAfter, DoubleSupplier random) {
      this.backoff = backoff;
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      this.random = Objects.requireNonNull(random, "random");
      Objects.requireNonNull(stableAfter, "stableAfter");
      if (stableAfter.isNegative() || stableAfter.isZero()) {
        throw new IllegalArgumentException("stableAfter must be positive: " + stableAfter);
      }
      this.stableAfterNanos = stableAfter.toNanos();
    }

    /** The connection is established; its uptime counts from now. */
    public void opened() {
      openedAt = ticker.read();
    }

    /**
     * The connection failed or ended: counts the failure and returns how long to wait before the
     * next try. The count restarts when the connection had been up for {@code stableAfter}.
     */
    public Duration failed() {
      if (openedAt != NOT_OPEN && ticker.read() - openedAt >= stableAfterNanos) {
        failures = 0;
      }
      openedAt = NOT_OPEN;
      Duration delay = backoff.delay(failures, random);
      if (failures < Integer.MAX_VALUE) {
        failures++;
      }
      return delay;
    }

    /** Failures counted in a row (a stable connection's failure counts as the first again). */
    public int failuresInARow() {
      return failures;
    }

    /** Whether a connection is open (opened, not yet failed) and has been up for {@code stableAfter}. */
    public boolean isStable() {
      return openedAt != NOT_OPEN && ticker.read() - openedAt >= stableAfterNanos;
    }

    @Override
    public String toString() {
      return "Attempts[" + failures + " failures in a row, " + backoff + "]";
    }
  }
}
