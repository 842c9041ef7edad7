package io.kdiscovery.balancing;

/**
 * 64-bit hashing of keys and endpoint names for the consistent-hash policies: FNV-1a over the UTF-16
 * chars, then the MurmurHash3 finalizer, which spreads FNV's weak low bits over the whole word. Stable
 * across JVMs and versions, unlike {@link String#hashCode()}, so that every client maps a key to the
 * same pod.
 */
final class Hashing {

  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  private Hashing() {}

  static long hash(CharSequence text) {
    return hash(text, 0);
  }

  /** The hash of {@code text} under a seed, for independent hash functions of one name. */
  static long hash(CharSequence text, long seed) {
    long h = FNV_OFFSET ^ seed;
    for (int i = 0; i < text.length(); i++) {
      h ^= text.charAt(i);
      h *= FNV_PRIME;
    }
    return mix(h);
  }

  /** MurmurHash3's fmix64: every input bit affects every output bit. */
  static long mix(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
