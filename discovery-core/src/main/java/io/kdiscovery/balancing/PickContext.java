package io.kdiscovery.balancing;

import io.kdiscovery.affinity.KeyHash;
import io.kdiscovery.model.Endpoint;
import java.util.Collection;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * What a request tells the load balancer about itself: an affinity key, a hash key, the caller's zone
 * and the endpoints already tried. All optional; {@link #none()} is the common case and costs nothing.
 *
 * <p>Immutable and thread-safe, so a context can be built once and reused for many picks. Keys:
 * <ul>
 *   <li>the <b>affinity key</b> (a client IP, user id, cookie, flow id) is what sticky affinity
 *       remembers; for a Service with {@code sessionAffinity: ClientIP} pass the client's IP here;
 *   <li>the <b>hash key</b> is what the consistent-hash policies hash; it defaults to a stable hash of
 *       the affinity key, so one key serves both. Without either, those policies pick at random.
 * </ul>
 * The zone overrides the balancer's {@code localZone} for this request (for a proxy that forwards on
 * behalf of clients in several zones).
 */
public final class PickContext {

  private static final PickContext NONE = new PickContext(null, null, 0, false, null, Set.of());

  private final Object affinityKey;
  /** What sticky affinity remembers: a fixed-size hash of the key, computed once with the context. */
  private final KeyHash stickyKey;
  private final long hashKey;
  private final boolean hasHashKey;
  private final String zone;
  private final Set<String> excluded;

  private PickContext(Object affinityKey, KeyHash stickyKey, long hashKey, boolean hasHashKey, String zone,
      Set<String> excluded) {
    this.affinityKey = affinityKey;
    this.stickyKey = stickyKey;
    this.hashKey = hashKey;
    this.hasHashKey = hasHashKey;
    this.zone = zone;
    this.excluded = excluded;
  }

  /** No key, no zone, nothing tried: the shared empty context. */
  public static PickContext none() {
    return NONE;
  }

  /** A context whose affinity key, and hash key, is {@code key}. */
  public static PickContext forKey(Object key) {
    return builder().affinityKey(key).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The affinity key, or null. */
  public Object affinityKey() {
    return affinityKey;
  }

  /** The hash of the affinity key (of its {@code toString()}) that sticky affinity remembers, or null. */
  public KeyHash stickyKey() {
    return stickyKey;
  }

  /** Whether the consistent-hash policies have a key to hash. */
  public boolean hasHashKey() {
    return hasHashKey;
  }

  /** The 64-bit hash the consistent-hash policies use; meaningful when {@link #hasHashKey()}. */
  public long hashKey() {
    return hashKey;
  }

  /** The caller's zone for this request, or null for the balancer's own. */
  public String zone() {
    return zone;
  }

  /** The endpoints ({@code address:port}) this request has already tried. */
  public Set<String> excluded() {
    return excluded;
  }

  boolean hasExclusions() {
    return !excluded.isEmpty();
  }

  /** This context, also excluding {@code tried} endpoints: what a retry picks with. */
  public PickContext excluding(Collection<Endpoint> tried) {
    Set<String> all = new HashSet<>(excluded);
    for (Endpoint e : tried) {
      all.add(e.hostPort());
    }
    return new PickContext(affinityKey, stickyKey, hashKey, hasHashKey, zone, Set.copyOf(all));
  }

  PickContext withoutExclusions() {
    return excluded.isEmpty() ? this : new PickContext(affinityKey, stickyKey, hashKey, hasHashKey, zone, Set.of());
  }

  @Override
  public String toString() {
    return "PickContext[affinityKey=" + affinityKey + (hasHashKey ? ", hashKey=" + hashKey : "")
        + (zone != null ? ", zone=" + zone : "") + (excluded.isEmpty() ? "" : ", excluded=" + excluded) + "]";
  }

  /** Builds a {@link PickContext}; not thread-safe. */
  public static final class Builder {
    private Object affinityKey;
    private Long hashKey;
    private String zone;

    private Builder() {}

    /**
     * The key sticky affinity keeps a request's pod by (remembered as a fixed-size hash of its
     * {@code toString()}, never as the object); also the hash key unless one is set.
     */
    public Builder affinityKey(Object key) {
      this.affinityKey = Objects.requireNonNull(key, "affinityKey");
      return this;
    }

    /** Hashes {@code key} (stably across JVMs) for the consistent-hash policies. */
    public Builder hashKey(CharSequence key) {
      this.hashKey = Hashing.hash(Objects.requireNonNull(key, "hashKey"));
      return this;
    }

    /** A 64-bit hash key, used as given after mixing its bits. */
    public Builder hashKey(long key) {
      this.hashKey = Hashing.mix(key);
      return this;
    }

    public Builder zone(String zone) {
      this.zone = Objects.requireNonNull(zone, "zone");
      return this;
    }

    public PickContext build() {
      String key = affinityKey == null ? null : affinityKey.toString();
      KeyHash sticky = key == null ? null : KeyHash.of(key);
      if (hashKey != null) {
        return new PickContext(affinityKey, sticky, hashKey, true, zone, Set.of());
      }
      if (key != null) {
        return new PickContext(affinityKey, sticky, Hashing.hash(key), true, zone, Set.of());
      }
      return new PickContext(null, null, 0, false, zone, Set.of());
    }
  }
}
