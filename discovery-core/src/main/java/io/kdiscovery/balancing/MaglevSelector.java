package io.kdiscovery.balancing;

import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * Consistent hashing through a Maglev lookup table (Eisenbud et al., NSDI 2016): every endpoint has its
 * own pseudo-random permutation of the table's slots (an offset and a skip derived from two hashes of
 * its name), and the endpoints take turns claiming their next preferred free slot until the table is
 * full. A key then costs one multiply and two array reads. Each endpoint gets an almost equal share of
 * slots.
 *
 * <p>The table size is a prime at least 100 times the endpoint count, from fixed tiers (65 537 up), so
 * that it does not change, and reshuffle every key, when the endpoint count changes a little. Weights
 * are not honoured.
 *
 * <p>Updates are incremental while the tier stays and a change is small (at most one endpoint in
 * eight): a leaving endpoint's table slots go, each, to the owner of the nearest following slot that
 * stays, so no key moves between endpoints that both stay; a joining endpoint claims its fair share
 * ({@code table / endpoints}) along its own permutation, taking those slots from whoever held them,
 * so only about 1/n of the keys move. The table that results is no longer exactly the one a build
 * from scratch would make: clients that saw different histories of the Service may disagree on the
 * keys of the endpoints that changed since they last built from scratch (a tier change or a large
 * change), about 1/n of the keys per change. That is the price of updating in time proportional to
 * the table instead of rebuilding it (which costs about 40 times more at 10 000 endpoints).
 */
final class MaglevSelector implements Selector {

  private static final long OFFSET_SEED = 0x6a09e667f3bcc909L;
  private static final long SKIP_SEED = 0xbb67ae8584caa73bL;
  private static final int[] TABLE_SIZES = tableSizes();

  private final int[] table; // owners' slots
  private final int[] indexOfSlot;
  private final int size;
  /**
   * Which table positions each slot owns: the update thread's index, so that an update finds a
   * leaver's positions without scanning the table. Handed on to the next selector, which updates it
   * (picks never read it); null once handed on.
   */
  private Positions positions;

  private MaglevSelector(int[] table, int[] indexOfSlot, int size, Positions positions) {
    this.table = table;
    this.indexOfSlot = indexOfSlot;
    this.size = size;
    this.positions = positions;
  }

  static MaglevSelector create(EndpointGroup group) {
    int n = group.size();
    int m = tableSize(n);
    int[] table = new int[m];
    Arrays.fill(table, -1);
    long[] skip = new long[n];
    long[] cursor = new long[n];
    for (int i = 0; i < n; i++) {
      cursor[i] = offset(group.states[i].id, m);
      skip[i] = skip(group.states[i].id, m);
    }
    int filled = 0;
    while (filled < m) {
      for (int i = 0; i < n && filled < m; i++) {
        // Walk endpoint i's permutation (offset + j * skip) mod m to its next free slot.
        long c = cursor[i];
        while (table[(int) c] >= 0) {
          c += skip[i];
          if (c >= m) {
            c -= m;
          }
        }
        table[(int) c] = group.states[i].slot;
        c += skip[i];
        cursor[i] = c >= m ? c - m : c;
        filled++;
      }
    }
    return new MaglevSelector(table, group.indexOfSlots(), n, Positions.of(table));
  }

  private static long offset(String id, int m) {
    return Math.floorMod(Hashing.hash(id, OFFSET_SEED), (long) m);
  }

  private static long skip(String id, int m) {
    return Math.floorMod(Hashing.hash(id, SKIP_SEED), (long) m - 1) + 1;
  }

  @Override
  public Selector next(EndpointGroup group, GroupChange change, Function<EndpointGroup, Selector> fresh) {
    int n = group.size();
    int m = table.length;
    Positions owned = positions;
    if (owned == null || tableSize(n) != m
        || (long) (change.removed().size() + change.added().size()) * 8 > n) {
      return create(group);
    }
    positions = null; // handed on: the next selector updates it
    int[] next = table.clone();
    if (!change.removed().isEmpty()) {
      boolean[] leaving = new boolean[change.maxSlot() + 1];
      for (EndpointState s : change.removed()) {
        leaving[s.slot] = true;
      }
      for (EndpointState s : change.removed()) {
        for (int p : owned.take(s.slot)) {
          // The owner of the nearest following position that stays takes it.
          int q = p + 1 == m ? 0 : p + 1;
          while (isLeaving(next[q], leaving)) {
            q = q + 1 == m ? 0 : q + 1;
          }
          next[p] = next[q];
          owned.add(next[q], p);
        }
      }
    }
    if (!change.added().isEmpty()) {
      boolean[] joining = new boolean[change.maxSlot() + 1];
      for (EndpointState s : change.added()) {
        joining[s.slot] = true;
      }
      int share = m / n;
      for (EndpointState s : change.added()) {
        long c = offset(s.id, m);
        long step = skip(s.id, m);
        for (int claimed = 0; claimed < share; ) {
          int holder = next[(int) c];
          if (holder >= joining.length || !joining[holder]) { // never take from another joiner
            owned.remove(holder, (int) c);
            next[(int) c] = s.slot;
            owned.add(s.slot, (int) c);
            claimed++;
          }
          c += step;
          if (c >= m) {
            c -= m;
          }
        }
      }
    }
    return new MaglevSelector(next, group.indexOfSlots(), n, owned);
  }

  /** The table positions of each slot; update thread only. */
  private static final class Positions {
    private int[][] bySlot;
    private int[] counts;

    static Positions of(int[] table) {
      int max = 0;
      for (int slot : table) {
        max = Math.max(max, slot);
      }
      Positions p = new Positions();
      p.counts = new int[max + 1];
      for (int slot : table) {
        p.counts[slot]++;
      }
      p.bySlot = new int[max + 1][];
      for (int slot = 0; slot <= max; slot++) {
        p.bySlot[slot] = new int[Math.max(4, p.counts[slot])];
        p.counts[slot] = 0;
      }
      for (int position = 0; position < table.length; position++) {
        p.add(table[position], position);
      }
      return p;
    }

    void add(int slot, int position) {
      if (slot >= bySlot.length) {
        int size = Math.max(slot + 1, bySlot.length * 2);
        bySlot = Arrays.copyOf(bySlot, size);
        counts = Arrays.copyOf(counts, size);
      }
      int[] list = bySlot[slot];
      if (list == null) {
        list = bySlot[slot] = new int[16];
      } else if (counts[slot] == list.length) {
        list = bySlot[slot] = Arrays.copyOf(list, list.length * 2);
      }
      list[counts[slot]++] = position;
    }

    void remove(int slot, int position) {
      int[] list = bySlot[slot];
      int count = counts[slot];
      for (int i = 0; i < count; i++) {
        if (list[i] == position) {
          list[i] = list[count - 1];
          counts[slot] = count - 1;
          return;
        }
      }
      throw new IllegalStateException("slot " + slot + " does not own position " + position);
    }

    /** The positions of {@code slot}, which owns none afterwards. */
    int[] take(int slot) {
      if (slot >= bySlot.length || bySlot[slot] == null) {
        return new int[0];
      }
      int[] taken = Arrays.copyOf(bySlot[slot], counts[slot]);
      bySlot[slot] = null;
      counts[slot] = 0;
      return taken;
    }
  }

  private static boolean isLeaving(int slot, boolean[] leaving) {
    return slot < leaving.length && leaving[slot];
  }

  static int tableSize(int endpoints) {
    for (int size : TABLE_SIZES) {
      if (size >= 100L * endpoints) {
        return size;
      }
    }
    return TABLE_SIZES[TABLE_SIZES.length - 1];
  }

  /** Primes just above 2^16, 2^17, … 2^23. */
  private static int[] tableSizes() {
    int[] sizes = new int[8];
    for (int k = 0; k < sizes.length; k++) {
      int p = (1 << (16 + k)) + 1;
      while (!isPrime(p)) {
        p++;
      }
      sizes[k] = p;
    }
    return sizes;
  }

  private static boolean isPrime(int p) {
    for (int d = 2; (long) d * d <= p; d++) {
      if (p % d == 0) {
        return false;
      }
    }
    return p > 1;
  }

  @Override
  public int select(PickContext context) {
    if (!context.hasHashKey()) {
      return ThreadLocalRandom.current().nextInt(size);
    }
    return indexOfSlot[table[slot(context.hashKey())]];
  }

  @Override
  public int reselect(PickContext context, int attempt) {
    if (!context.hasHashKey()) {
      return select(context);
    }
    return indexOfSlot[table[(int) ((slot(context.hashKey()) + (long) attempt) % table.length)]];
  }

  /** Maps the key's high 32 bits onto the table by multiplication, which is cheaper than a modulo. */
  private int slot(long hashKey) {
    return (int) (((hashKey >>> 32) * table.length) >>> 32);
  }

  int tableLength() {
    return table.length;
  }

  /** How many table slots each member of the group owns, for tests of the balance. */
  int[] shares() {
    int[] shares = new int[size];
    for (int owner : table) {
      shares[indexOfSlot[owner]]++;
    }
    return shares;
  }
}
