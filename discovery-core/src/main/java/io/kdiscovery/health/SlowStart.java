package io.kdiscovery.health;

import java.time.Duration;
import java.util.Objects;

/**
 * Slow start: a pod that just joined (or became ready again) gets a share of traffic that ramps up
 * over a window instead of its full share at once, so a cold JVM or an empty cache is not flooded.
 *
 * <p>Immutable and thread-safe. {@link #factor(long)} is the weight multiplier for an endpoint of a
 * given age: {@code max(minWeight, (age / window) ^ (1 / aggression))}, and 1 once the window has
 * passed. An aggression of 1 ramps linearly; above 1 the weight rises faster at first. Endpoints of
 * the first snapshot a load balancer sees are not slowed: they were serving before it started.
 * Consistent-hash policies ignore slow start, because moving keys to warm a pod would break the very
 * stickiness they exist for.
 */
public final class SlowStart {

  private static final SlowStart DISABLED = new SlowStart(Duration.ZERO, 1.0, 1.0);

  private final Duration window;
  private final long windowNanos;
  private final double minWeight;
  private final double aggression;

  private SlowStart(Duration window, double minWeight, double aggression) {
    this.window = window;
    this.windowNanos = window.toNanos();
    this.minWeight = minWeight;
    this.aggression = aggression;
  }

  /** No slow start: every endpoint gets its full weight at once. */
  public static SlowStart disabled() {
    return DISABLED;
  }

  /** A linear ramp over {@code window}, starting at 10% of the full weight. */
  public static SlowStart of(Duration window) {
    return of(window, 0.1, 1.0);
  }

  /**
   * @param window how long the ramp lasts; zero disables slow start
   * @param minWeight the weight share a new endpoint starts with, in (0, 1]
   * @param aggression the ramp's curve, positive; 1 is linear
   * @throws IllegalArgumentException when an argument is out of range
   */
  public static SlowStart of(Duration window, double minWeight, double aggression) {
    Objects.requireNonNull(window, "window");
    if (window.isNegative()) {
      throw new IllegalArgumentException("slow start window must not be negative: " + window);
    }
    if (!(minWeight > 0 && minWeight <= 1)) {
      throw new IllegalArgumentException("slow start minWeight must be in (0, 1]: " + minWeight);
    }
    if (!(aggression > 0) || Double.isInfinite(aggression)) {
      throw new IllegalArgumentException("slow start aggression must be positive: " + aggression);
    }
    return window.isZero() ? DISABLED : new SlowStart(window, minWeight, aggression);
  }

  public boolean enabled() {
    return windowNanos > 0;
  }

  public Duration window() {
    return window;
  }

  public long windowNanos() {
    return windowNanos;
  }

  public double minWeight() {
    return minWeight;
  }

  public double aggression() {
    return aggression;
  }

  /** The weight multiplier, in [minWeight, 1], for an endpoint that joined {@code ageNanos} ago. */
  public double factor(long ageNanos) {
    if (windowNanos == 0 || ageNanos >= windowNanos) {
      return 1.0;
    }
    double progress = Math.max(0, ageNanos) / (double) windowNanos;
    double ramp = aggression == 1.0 ? progress : Math.pow(progress, 1.0 / aggression);
    return Math.max(minWeight, ramp);
  }

  @Override
  public String toString() {
    return enabled()
        ? "SlowStart[window=" + window + ", minWeight=" + minWeight + ", aggression=" + aggression + "]"
        : "SlowStart[disabled]";
  }
}
