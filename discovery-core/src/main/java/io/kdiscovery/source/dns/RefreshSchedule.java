package io.kdiscovery.source.dns;

import io.kdiscovery.source.Backoff;
import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * When a DNS watch queries next: after a successful answer, once its records expire; after a failure,
 * after a {@link Backoff} delay.
 *
 * <p>Immutable and thread-safe; the random source is passed in so tests can fix it.
 *
 * <p>After an answer, the delay is the answer's TTL clamped to {@code [minRefresh, maxRefresh]},
 * stretched by a random share of up to {@code jitter} of itself: with a 5 s TTL and a jitter of 0.1,
 * somewhere in 5.0-5.5 s. Jitter is added rather than subtracted so that the refresh never comes
 * before the records expire (a caching resolver in between would answer the same records again) and
 * never below {@code minRefresh}, which protects the DNS server from records with a TTL of 0.
 */
final class RefreshSchedule {

  private final Duration minRefresh;
  private final Duration maxRefresh;
  private final double jitter;
  private final Backoff backoff;

  RefreshSchedule(Duration minRefresh, Duration maxRefresh, double jitter, Backoff backoff) {
    this.minRefresh = minRefresh;
    this.maxRefresh = maxRefresh;
    this.jitter = jitter;
    this.backoff = backoff;
  }

  /**
   * The delay before refreshing an answer whose records live {@code ttlSeconds}, or null when the
   * answer carried no TTL (a negative answer without an SOA record): then the minimum applies.
   *
   * @param random uniform values in [0, 1)
   */
  Duration afterAnswer(Long ttlSeconds, DoubleSupplier random) {
    Duration ttl = ttlSeconds == null ? minRefresh : Duration.ofSeconds(Math.max(0, ttlSeconds));
    Duration clamped = ttl.compareTo(minRefresh) < 0 ? minRefresh
        : ttl.compareTo(maxRefresh) > 0 ? maxRefresh : ttl;
    long nanos = clamped.toNanos();
    return Duration.ofNanos(nanos + (long) (nanos * jitter * random.getAsDouble()));
  }

  /** The delay before retrying after the {@code consecutiveFailures}-th failure in a row (from 1). */
  Duration afterFailure(int consecutiveFailures, DoubleSupplier random) {
    return backoff.delay(consecutiveFailures - 1, random);
  }

  @Override
  public String toString() {
    return "refresh on TTL within [" + minRefresh + ", " + maxRefresh + "] + up to " + jitter * 100
        + "% jitter, retry " + backoff;
  }
}
