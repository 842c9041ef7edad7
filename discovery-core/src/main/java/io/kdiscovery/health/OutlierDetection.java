package io.kdiscovery.health;

import java.time.Duration;
import java.util.Objects;

/**
 * How a load balancer turns reported outcomes into ejections: passive health checking.
 *
 * <p>Immutable and thread-safe. An endpoint is ejected after {@link #consecutiveFailures()} failures in
 * a row, or at once after a connect failure when {@link #ejectOnConnectFailure()} is set. It stays out
 * for {@link #ejectionTime(int)}: the base time multiplied by how often it has been ejected, capped at
 * the maximum, so a pod that keeps failing is retried less and less often. At most
 * {@link #maxEjected(int)} endpoints are out at once, and when fewer than {@link #panicThreshold()} of
 * the endpoints are healthy the balancer ignores ejections altogether ({@link #inPanic(int, int)}): a
 * mostly failing Service still gets traffic, spread over all its pods, rather than none or all of it
 * on the last pod standing.
 */
public final class OutlierDetection {

  private static final OutlierDetection DEFAULTS = builder().build();
  private static final OutlierDetection DISABLED = builder().enabled(false).build();

  private final boolean enabled;
  private final int consecutiveFailures;
  private final boolean ejectOnConnectFailure;
  private final Duration baseEjectionTime;
  private final Duration maxEjectionTime;
  private final double maxEjectedShare;
  private final double panicThreshold;

  private OutlierDetection(Builder b) {
    this.enabled = b.enabled;
    this.consecutiveFailures = b.consecutiveFailures;
    this.ejectOnConnectFailure = b.ejectOnConnectFailure;
    this.baseEjectionTime = b.baseEjectionTime;
    this.maxEjectionTime = b.maxEjectionTime;
    this.maxEjectedShare = b.maxEjectedShare;
    this.panicThreshold = b.panicThreshold;
  }

  /**
   * Five consecutive failures or one connect failure eject for 30 s × ejections, at most 5 min; at
   * most half the endpoints ejected; panic below half healthy.
   */
  public static OutlierDetection defaults() {
    return DEFAULTS;
  }

  /** Never ejects: outcomes still feed the latency-aware policies. */
  public static OutlierDetection disabled() {
    return DISABLED;
  }

  public static Builder builder() {
    return new Builder();
  }

  public boolean enabled() {
    return enabled;
  }

  /** Failures in a row that eject an endpoint. */
  public int consecutiveFailures() {
    return consecutiveFailures;
  }

  /** Whether one connect failure (nothing listening, connection refused) ejects at once. */
  public boolean ejectOnConnectFailure() {
    return ejectOnConnectFailure;
  }

  public Duration baseEjectionTime() {
    return baseEjectionTime;
  }

  public Duration maxEjectionTime() {
    return maxEjectionTime;
  }

  /** The largest share of endpoints that may be ejected at once, in (0, 1]. */
  public double maxEjectedShare() {
    return maxEjectedShare;
  }

  /** Below this share of healthy endpoints, ejections are ignored; 0 turns panic mode off. */
  public double panicThreshold() {
    return panicThreshold;
  }

  /**
   * How long the {@code ejections}-th ejection (1 for the first) lasts: base × ejections, capped.
   */
  public long ejectionTimeNanos(int ejections) {
    long base = baseEjectionTime.toNanos();
    long max = maxEjectionTime.toNanos();
    int times = Math.max(1, ejections);
    return base > max / times ? max : Math.min(max, base * times);
  }

  /** {@link #ejectionTimeNanos(int)} as a Duration. */
  public Duration ejectionTime(int ejections) {
    return Duration.ofNanos(ejectionTimeNanos(ejections));
  }

  /**
   * The most endpoints of {@code total} that may be ejected at once: the share rounded down, but at
   * least one, so that a lone failing pod can be ejected (panic mode then still sends it traffic).
   */
  public int maxEjected(int total) {
    if (!enabled || total <= 0) {
      return 0;
    }
    return Math.max(1, (int) Math.floor(total * maxEjectedShare));
  }

  /** Whether {@code healthy} of {@code total} endpoints is too few to honour ejections. */
  public boolean inPanic(int healthy, int total) {
    return total > 0 && healthy < total * panicThreshold;
  }

  @Override
  public String toString() {
    if (!enabled) {
      return "OutlierDetection[disabled]";
    }
    return "OutlierDetection[consecutiveFailures=" + consecutiveFailures
        + ", ejectOnConnectFailure=" + ejectOnConnectFailure
        + ", ejectionTime=" + baseEjectionTime + ".." + maxEjectionTime
        + ", maxEjectedShare=" + maxEjectedShare + ", panicThreshold=" + panicThreshold + "]";
  }

  /** Builds an {@link OutlierDetection}; each setter checks its argument at once. Not thread-safe. */
  public static final class Builder {
    private boolean enabled = true;
    private int consecutiveFailures = 5;
    private boolean ejectOnConnectFailure = true;
    private Duration baseEjectionTime = Duration.ofSeconds(30);
    private Duration maxEjectionTime = Duration.ofMinutes(5);
    private double maxEjectedShare = 0.5;
    private double panicThreshold = 0.5;

    private Builder() {}

    public Builder enabled(boolean enabled) {
      this.enabled = enabled;
      return this;
    }

    /** @throws IllegalArgumentException unless at least 1 */
    public Builder consecutiveFailures(int failures) {
      if (failures < 1) {
        throw new IllegalArgumentException("consecutiveFailures must be at least 1: " + failures);
      }
      this.consecutiveFailures = failures;
      return this;
    }

    public Builder ejectOnConnectFailure(boolean eject) {
      this.ejectOnConnectFailure = eject;
      return this;
    }

    /** @throws IllegalArgumentException unless positive */
    public Builder baseEjectionTime(Duration time) {
      this.baseEjectionTime = positive("baseEjectionTime", time);
      return this;
    }

    /** @throws IllegalArgumentException unless positive */
    public Builder maxEjectionTime(Duration time) {
      this.maxEjectionTime = positive("maxEjectionTime", time);
      return this;
    }

    /** @throws IllegalArgumentException unless in (0, 1] */
    public Builder maxEjectedShare(double share) {
      if (!(share > 0 && share <= 1)) {
        throw new IllegalArgumentException("maxEjectedShare must be in (0, 1]: " + share);
      }
      this.maxEjectedShare = share;
      return this;
    }

    /** @throws IllegalArgumentException unless in [0, 1] */
    public Builder panicThreshold(double threshold) {
      if (!(threshold >= 0 && threshold <= 1)) {
        throw new IllegalArgumentException("panicThreshold must be in [0, 1]: " + threshold);
      }
      this.panicThreshold = threshold;
      return this;
    }

    /** @throws IllegalArgumentException when the maximum ejection time is below the base */
    public OutlierDetection build() {
      if (maxEjectionTime.compareTo(baseEjectionTime) < 0) {
        throw new IllegalArgumentException("maxEjectionTime " + maxEjectionTime
            + " is below baseEjectionTime " + baseEjectionTime);
      }
      return new OutlierDetection(this);
    }

    private static Duration positive(String what, Duration d) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive: " + d);
      }
      return d;
    }
  }
}
