package io.kdiscovery.affinity;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.kdiscovery.time.Ticker;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Remembers which target each affinity key was sent to, for a bounded number of keys, forgetting a key
 * once it has been idle for the timeout. Keys are remembered by their {@link KeyHash}, never as the key
 * object, so a table costs the same per key whatever the keys' size.
 *
 * <p>Thread-safe and non-blocking for readers; {@link #stick} may briefly wait on a concurrent update
 * of the same key, which is what makes a key move exactly once when its target goes away. Time comes
 * from the injected {@link Ticker}, and cache maintenance runs on the calling threads (no background
 * executor), so tests on fake time see expiry deterministically.
 *
 * @param <V> what a key sticks to, compared by identity through the caller's validity check
 */
public final class StickyTable<V> {

  private final Cache<KeyHash, V> cache;
  private final Duration idleTimeout;

  private StickyTable(Duration idleTimeout, long maxKeys, Ticker ticker) {
    this.idleTimeout = idleTimeout;
    this.cache = Caffeine.newBuilder()
        .expireAfterAccess(idleTimeout)
        .maximumSize(maxKeys)
        .ticker(ticker::read)
        .executor(Runnable::run)
        .build();
  }

  /**
   * @throws IllegalArgumentException when the timeout is not positive or maxKeys is below 1
   */
  public static <V> StickyTable<V> create(Duration idleTimeout, long maxKeys, Ticker ticker) {
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    Objects.requireNonNull(ticker, "ticker");
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("idle timeout must be positive: " + idleTimeout);
    }
    if (maxKeys < 1) {
      throw new IllegalArgumentException("maxKeys must be at least 1: " + maxKeys);
    }
    return new StickyTable<>(idleTimeout, maxKeys, ticker);
  }

  public Duration idleTimeout() {
    return idleTimeout;
  }

  /** The key's current target, refreshing its idle time, or null when it has none. */
  public V get(KeyHash key) {
    return cache.getIfPresent(key);
  }

  /**
   * Makes {@code key} stick to {@code candidate} unless it already sticks to a target that is still
   * valid, and returns the target that won. When two requests of one key race after its target left,
   * both get the same new target.
   */
  public V stick(KeyHash key, V candidate, Predicate<? super V> stillValid) {
    Objects.requireNonNull(candidate, "candidate");
    return cache.asMap().compute(key, (k, old) -> old != null && stillValid.test(old) ? old : candidate);
  }

  /** Forgets a key. */
  public void forget(KeyHash key) {
    cache.invalidate(key);
  }

  /** About how many keys are remembered (expired keys may still count until maintenance runs). */
  public long estimatedSize() {
    return cache.estimatedSize();
  }

  /** Runs pending expiry and eviction now. */
  public void cleanUp() {
    cache.cleanUp();
  }
}
