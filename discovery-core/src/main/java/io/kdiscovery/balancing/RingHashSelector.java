package io.kdiscovery.balancing;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * Consistent hashing on a ring: each endpoint owns many virtual nodes at hashed positions of its name,
 * in proportion to its weight, and a key goes to the first virtual node at or after the key's hash.
 * Removing an endpoint hands only its own arcs to its ring neighbours; no key moves between two
 * endpoints that both stay (as long as the endpoint count stays within the same power of two, which
 * fixes the number of virtual nodes per unit of weight: 1024 for up to 64 endpoints, down to 64 from
 * 1024 endpoints on).
 *
 * <p>Each ring entry packs the position (high bits) and the owner's {@linkplain EndpointState#slot
 * slot} (low {@value #OWNER_BITS} bits) into one long, so the ring is a single sorted array and a
 * lookup one binary search plus one read of the slot's index in the group. Because entries name
 * stable slots, not array indices, an update is incremental ({@link #next}): the leaving endpoints'
 * entries are filtered out and the joining ones' merged in, in one pass over the ring, with no hashing
 * or sorting of the endpoints that stay; the ring that results is the very ring a build from scratch
 * would make, so every client still maps a key to the same pod.
 */
final class RingHashSelector implements Selector {

  /** Virtual nodes per unit of weight never go below this, however many endpoints there are. */
  static final int MIN_REPLICAS = 64;
  /** Nor above this, for small Services. */
  static final int MAX_REPLICAS = 1024;
  /** The ring never grows beyond this; only very heavy weights scale down to fit. */
  static final int MAX_RING_SIZE = 1 << 21;
  /** Low bits of an entry that name its owner's slot: up to a million endpoints. */
  static final int OWNER_BITS = 20;
  private static final long OWNER_MASK = (1L << OWNER_BITS) - 1;
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private final long[] ring;
  private final int[] indexOfSlot;
  private final int size;
  private final long perWeight;
  private final boolean scaled;

  private RingHashSelector(long[] ring, int[] indexOfSlot, int size, long perWeight, boolean scaled) {
    this.ring = ring;
    this.indexOfSlot = indexOfSlot;
    this.size = size;
    this.perWeight = perWeight;
    this.scaled = scaled;
  }

  /**
   * Virtual nodes per unit of weight: they depend only on the power of two at or above the endpoint
   * count, not on the exact count or the other endpoints' weights; otherwise removing one endpoint would
   * add virtual nodes to the others, and move keys between endpoints that both stayed.
   */
  static long perWeight(int n) {
    int log2 = 32 - Integer.numberOfLeadingZeros(Math.max(1, n - 1));
    return Math.max(MIN_REPLICAS, Math.min(MAX_REPLICAS, 65536 >> Math.min(log2, 16)));
  }

  static RingHashSelector create(EndpointGroup group) {
    int n = group.size();
    long perWeight = perWeight(n);
    long wanted = 0;
    for (int i = 0; i < n; i++) {
      wanted += perWeight * group.endpoints[i].weight();
    }
    double scale = wanted > MAX_RING_SIZE ? MAX_RING_SIZE / (double) wanted : 1.0;
    int total = 0;
    int[] replicas = new int[n];
    for (int i = 0; i < n; i++) {
      replicas[i] = (int) Math.max(1, Math.round(perWeight * group.endpoints[i].weight() * scale));
      total += replicas[i];
    }
    long[] ring = new long[total];
    int k = 0;
    for (int i = 0; i < n; i++) {
      k = addEntries(ring, k, group.states[i], replicas[i]);
    }
    Arrays.sort(ring);
    return new RingHashSelector(ring, group.indexOfSlots(), n, perWeight, scale != 1.0);
  }

  private static int addEntries(long[] into, int at, EndpointState state, int replicas) {
    if (state.slot > OWNER_MASK) {
      throw new IllegalStateException("more than " + (OWNER_MASK + 1) + " endpoints");
    }
    for (int r = 0; r < replicas; r++) {
      long position = Hashing.hash(state.id, (r + 1) * GOLDEN);
      into[at++] = (position & ~OWNER_MASK) | state.slot;
    }
    return at;
  }

  /**
   * Filters the leaving (and reweighted) endpoints' entries out and merges the joining (and
   * reweighted) ones' in. Starts over when the count crosses a power of two, or weights had to be
   * scaled to fit the ring, as a build from scratch would then lay the ring out differently.
   */
  @Override
  public Selector next(EndpointGroup group, GroupChange change, Function<EndpointGroup, Selector> fresh) {
    int n = group.size();
    if (scaled || perWeight(n) != perWeight) {
      return create(group);
    }
    long addedEntries = 0;
    for (EndpointState s : change.added()) {
      addedEntries += perWeight * s.endpoint.weight();
    }
    for (EndpointState s : change.reweighted()) {
      addedEntries += perWeight * s.endpoint.weight();
    }
    if (ring.length + addedEntries > MAX_RING_SIZE) {
      return create(group);
    }
    // Every entry is (hash of the owner's name and replica) | slot, so the leavers' entries are found
    // by binary search, not by a scan, and the new ring is the old one copied in runs between them.
    long[] leaving = new long[64];
    int l = 0;
    for (List<EndpointState> list : List.of(change.removed(), change.reweighted())) {
      for (EndpointState s : list) {
        for (int r = 0; ; r++) {
          long entry = (Hashing.hash(s.id, (r + 1) * GOLDEN) & ~OWNER_MASK) | s.slot;
          int at = Arrays.binarySearch(ring, entry);
          if (at < 0) {
            break; // past its last replica (its count depended on its weight then)
          }
          if (l == leaving.length) {
            leaving = Arrays.copyOf(leaving, l * 2);
          }
          leaving[l++] = at;
        }
      }
    }
    long[] joining = new long[(int) addedEntries];
    int k = 0;
    for (EndpointState s : change.added()) {
      k = addEntries(joining, k, s, (int) (perWeight * s.endpoint.weight()));
    }
    for (EndpointState s : change.reweighted()) {
      k = addEntries(joining, k, s, (int) (perWeight * s.endpoint.weight()));
    }
    Arrays.sort(joining);
    long[] cuts = Arrays.copyOf(leaving, l);
    Arrays.sort(cuts);
    long[] merged = new long[ring.length - l + joining.length];
    int from = 0; // next entry of the old ring to copy
    int out = 0;
    int c = 0;
    for (long entry : joining) {
      int found = Arrays.binarySearch(ring, entry); // present only for a reweighted owner: it is cut too
      int insertAt = found >= 0 ? found : -found - 1;
      while (c < cuts.length && cuts[c] < insertAt) {
        out = copyRun(ring, from, (int) cuts[c], merged, out);
        from = (int) cuts[c++] + 1;
      }
      out = copyRun(ring, from, insertAt, merged, out);
      from = Math.max(from, insertAt);
      merged[out++] = entry;
    }
    while (c < cuts.length) {
      out = copyRun(ring, from, (int) cuts[c], merged, out);
      from = (int) cuts[c++] + 1;
    }
    copyRun(ring, from, ring.length, merged, out);
    return new RingHashSelector(merged, group.indexOfSlots(), n, perWeight, false);
  }

  private static int copyRun(long[] ring, int from, int to, long[] into, int at) {
    if (to > from) {
      System.arraycopy(ring, from, into, at, to - from);
      return at + to - from;
    }
    return at;
  }

  @Override
  public int select(PickContext context) {
    if (!context.hasHashKey()) {
      return ThreadLocalRandom.current().nextInt(size);
    }
    return indexOfSlot[(int) (ring[position(context.hashKey())] & OWNER_MASK)];
  }

  /** The attempt-th change of owner walking clockwise from the key's position. */
  @Override
  public int reselect(PickContext context, int attempt) {
    if (!context.hasHashKey()) {
      return select(context);
    }
    int p = position(context.hashKey());
    long owner = ring[p] & OWNER_MASK;
    for (int step = 0, changes = 0; step < ring.length; step++) {
      p = p + 1 == ring.length ? 0 : p + 1;
      long next = ring[p] & OWNER_MASK;
      if (next != owner) {
        owner = next;
        if (++changes == attempt) {
          break;
        }
      }
    }
    return indexOfSlot[(int) owner];
  }

  /** The index of the first entry at or after the key, wrapping past the end of the ring. */
  private int position(long hashKey) {
    long key = hashKey & ~OWNER_MASK;
    int i = Arrays.binarySearch(ring, key);
    if (i < 0) {
      i = -i - 1;
    }
    return i == ring.length ? 0 : i;
  }

  int ringSize() {
    return ring.length;
  }

  /** The ring itself, for tests that compare an updated ring with one built from scratch. */
  long[] entries() {
    return ring.clone();
  }
}
