package io.kdiscovery.affinity;

import java.time.Duration;
import java.util.Objects;

/**
 * Which requests a load balancer keeps on the same pod: its session-affinity setting.
 *
 * <p>Immutable and thread-safe. Three choices:
 * <ul>
 *   <li>{@link #fromService()} (the default): follow the Service. When its spec says
 *       {@code sessionAffinity: ClientIP}, requests whose context carries an affinity key (the client's
 *       IP, for a proxy) stick to one pod for {@code sessionAffinityConfig.clientIP.timeoutSeconds} of
 *       idleness, as kube-proxy does; otherwise there is no affinity.
 *   <li>{@link #sticky(Duration)}: affinity by any key the caller puts in the request context (a user
 *       id, a cookie, a UDP flow id), whatever the Service says.
 *   <li>{@link #none()}: never sticky, even for a ClientIP Service.
 * </ul>
 * A sticky key reaches the same pod until that pod leaves the Service, is ejected, or the key stays
 * unused past the idle timeout; then it moves once, to the pod the policy picks, and sticks again.
 * For affinity without per-key state, use a consistent-hash policy with a hash key instead. The
 * table remembers a fixed-size hash of each key ({@link KeyHash}), never the key, so long keys chosen
 * by callers cost no more than short ones.
 */
public final class Affinity {

  /** How many keys a sticky table holds unless told otherwise; the least recently used go first. */
  public static final long DEFAULT_MAX_KEYS = 100_000;

  private static final Affinity NONE = new Affinity(Mode.NONE, Duration.ZERO, 0);
  private static final Affinity FROM_SERVICE = new Affinity(Mode.FROM_SERVICE, Duration.ZERO, DEFAULT_MAX_KEYS);

  private final Mode mode;
  private final Duration idleTimeout;
  private final long maxKeys;

  private Affinity(Mode mode, Duration idleTimeout, long maxKeys) {
    this.mode = mode;
    this.idleTimeout = idleTimeout;
    this.maxKeys = maxKeys;
  }

  /** No affinity, whatever the Service says. */
  public static Affinity none() {
    return NONE;
  }

  /** Sticky by client key exactly when the Service sets {@code sessionAffinity: ClientIP}. */
  public static Affinity fromService() {
    return FROM_SERVICE;
  }

  /** Sticky by the context's affinity key, holding up to {@link #DEFAULT_MAX_KEYS} keys. */
  public static Affinity sticky(Duration idleTimeout) {
    return sticky(idleTimeout, DEFAULT_MAX_KEYS);
  }

  /**
   * Sticky by the context's affinity key.
   *
   * @param idleTimeout how long an unused key keeps its pod
   * @param maxKeys the most keys remembered; beyond it the least recently used are forgotten
   * @throws IllegalArgumentException when the timeout is not positive or maxKeys is below 1
   */
  public static Affinity sticky(Duration idleTimeout, long maxKeys) {
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("affinity idle timeout must be positive: " + idleTimeout);
    }
    if (maxKeys < 1) {
      throw new IllegalArgumentException("affinity maxKeys must be at least 1: " + maxKeys);
    }
    return new Affinity(Mode.STICKY, idleTimeout, maxKeys);
  }

  public Mode mode() {
    return mode;
  }

  /** The idle timeout of {@link Mode#STICKY}; zero for the other modes. */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  /** The most keys a sticky table holds; for {@link Mode#FROM_SERVICE}, the bound used for ClientIP. */
  public long maxKeys() {
    return maxKeys;
  }

  @Override
  public String toString() {
    return mode == Mode.STICKY
        ? "Affinity[sticky, idleTimeout=" + idleTimeout + ", maxKeys=" + maxKeys + "]"
        : "Affinity[" + mode.name().toLowerCase(java.util.Locale.ROOT) + "]";
  }

  /** The kinds of affinity. */
  public enum Mode {
    /** Never sticky. */
    NONE,
    /** Sticky by client key when the Service says {@code ClientIP}. */
    FROM_SERVICE,
    /** Sticky by the request's affinity key. */
    STICKY
  }
}
