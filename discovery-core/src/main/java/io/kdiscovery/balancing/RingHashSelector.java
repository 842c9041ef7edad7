package io.kdiscovery.balancing;

import io.kdiscovery.model.Endpoint;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Consistent hashing on a ring: each endpoint owns many virtual nodes at hashed positions of its name,
 * in proportion to its weight, and a key goes to the first virtual node at or after the key's hash.
 * Removing an endpoint hands only its own arcs to its ring neighbours; no key moves between two
 * endpoints that both stay (as long as the endpoint count stays within the same power of two, which
 * fixes the number of virtual nodes per unit of weight: 1024 for up to 64 endpoints, down to 64 from
 * 1024 endpoints on).
 *
 * <p>Each ring entry packs the position (high bits) and the owner's index (low bits) into one long, so
 * the ring is a single sorted array and a lookup one binary search.
 */
final class RingHashSelector implements Selector {

  /** Virtual nodes per unit of weight never go below this, however many endpoints there are. */
  static final int MIN_REPLICAS = 64;
  /** Nor above this, for small Services. */
  static final int MAX_REPLICAS = 1024;
  /** The ring never grows beyond this; only very heavy weights scale down to fit. */
  static final int MAX_RING_SIZE = 1 << 21;

  private final long[] ring;
  private final int ownerBits;
  private final long ownerMask;
  private final int size;

  private RingHashSelector(long[] ring, int ownerBits, int size) {
    this.ring = ring;
    this.ownerBits = ownerBits;
    this.ownerMask = (1L << ownerBits) - 1;
    this.size = size;
  }

  static RingHashSelector create(String[] ids, Endpoint[] endpoints) {
    int n = ids.length;
    int ownerBits = Math.max(1, 32 - Integer.numberOfLeadingZeros(n - 1));
    // Virtual nodes per unit of weight depend only on the power of two at or above the endpoint count,
    // not on the exact count or the other endpoints' weights: otherwise removing one endpoint would
    // add virtual nodes to the others, and move keys between endpoints that both stayed.
    int log2 = 32 - Integer.numberOfLeadingZeros(Math.max(1, n - 1));
    long perWeight = Math.max(MIN_REPLICAS, Math.min(MAX_REPLICAS, 65536 >> Math.min(log2, 16)));
    long wanted = 0;
    for (Endpoint e : endpoints) {
      wanted += perWeight * e.weight();
    }
    double scale = wanted > MAX_RING_SIZE ? MAX_RING_SIZE / (double) wanted : 1.0;
    int[] replicas = new int[n];
    int total = 0;
    for (int i = 0; i < n; i++) {
      replicas[i] = (int) Math.max(1, Math.round(perWeight * endpoints[i].weight() * scale));
      total += replicas[i];
    }
    long[] ring = new long[total];
    long positionMask = ~((1L << ownerBits) - 1);
    int k = 0;
    for (int i = 0; i < n; i++) {
      for (int r = 0; r < replicas[i]; r++) {
        long position = Hashing.hash(ids[i], (r + 1) * 0x9E3779B97F4A7C15L);
        ring[k++] = (position & positionMask) | i;
      }
    }
    Arrays.sort(ring);
    return new RingHashSelector(ring, ownerBits, n);
  }

  @Override
  public int select(PickContext context) {
    if (!context.hasHashKey()) {
      return ThreadLocalRandom.current().nextInt(size);
    }
    return (int) (ring[position(context.hashKey())] & ownerMask);
  }

  /** The attempt-th change of owner walking clockwise from the key's position. */
  @Override
  public int reselect(PickContext context, int attempt) {
    if (!context.hasHashKey()) {
      return select(context);
    }
    int p = position(context.hashKey());
    int owner = (int) (ring[p] & ownerMask);
    for (int step = 0, changes = 0; step < ring.length; step++) {
      p = p + 1 == ring.length ? 0 : p + 1;
      int next = (int) (ring[p] & ownerMask);
      if (next != owner) {
        owner = next;
        if (++changes == attempt) {
          break;
        }
      }
    }
    return owner;
  }

  /** The index of the first entry at or after the key, wrapping past the end of the ring. */
  private int position(long hashKey) {
    long key = hashKey & ~ownerMask;
    int i = Arrays.binarySearch(ring, key);
    if (i < 0) {
      i = -i - 1;
    }
    return i == ring.length ? 0 : i;
  }

  int ringSize() {
    return ring.length;
  }

  int ownerBits() {
    return ownerBits;
  }
}
