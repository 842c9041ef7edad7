package io.kdiscovery.affinity;

import java.util.Objects;

/**
 * A fixed-size, 128-bit hash of an affinity key: what a {@link StickyTable} remembers instead of the
 * key, so that a key's size (a header value a caller chooses, kilobytes long) costs the table nothing.
 *
 * <p>Immutable and thread-safe; equal keys have equal hashes, in every JVM. Collisions are allowed
 * for: two keys with one hash only share a pod, as two users of one consistent-hash slot do. Sticky
 * affinity spreads load and keeps sessions warm, it isolates nobody, so a deliberately colliding key
 * gains nothing its author could not get by sending the other key itself; 128 bits make accidental
 * collisions negligible among the keys a table holds.
 */
public final class KeyHash {

  private final long high;
  private final long low;

  private KeyHash(long high, long low) {
    this.high = high;
    this.low = low;
  }

  /** The hash of {@code key}'s characters. */
  public static KeyHash of(CharSequence key) {
    Objects.requireNonNull(key, "key");
    // Two independent 64-bit lanes over the UTF-16 chars (FNV-1a, and a multiply-rotate lane with
    // other constants), each finished with MurmurHash3's fmix64 and then mixed into each other.
    long a = 0xcbf29ce484222325L;
    long b = 0x9e3779b97f4a7c15L ^ key.length();
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      a = (a ^ c) * 0x100000001b3L;
      b = Long.rotateLeft(b ^ c, 29) * 0xc6a4a7935bd1e995L;
    }
    a = fmix(a);
    b = fmix(b);
    a += b;
    b += a;
    return new KeyHash(a, b);
  }

  private static long fmix(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyHash other && other.high == high && other.low == low;
  }

  @Override
  public int hashCode() {
    return (int) (low ^ (low >>> 32));
  }

  @Override
  public String toString() {
    return String.format("KeyHash[%016x%016x]", high, low);
  }
}
