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

  private MaglevSelector(int[] table, int[] indexOfSlot, int size) {
    this.table = table;
    this.indexOfSlot = indexOfSlot;
    this.size = size;
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
    return new MaglevSelector(table, indexOfSlots(group), n);
  }

  private static long offset(String id, int m) {
    return Math.floorMod(Hashing.hash(id, OFFSET_SEED), (long) m);
  }

  private static long skip(String id, int m) {
    return Math.floorMod(Hashing.hash(id, SKIP_SEED), (long) m - 1) + 1;
  }

  private static int[] indexOfSlots(EndpointGroup group) {
    int max = 0;
    for (EndpointState s : group.states) {
      max = Math.max(max, s.slot);
    }
    int[] index = new int[max + 1];
    for (int i = 0; i < group.states.length; i++) {
      index[group.states[i].slot] = i;
    }
    return index;
  }

  @Override
  public Selector next(EndpointGroup group, GroupChange change, Function<EndpointGroup, Selector> fresh) {
    int n = group.size();
    int m = table.length;
    if (tableSize(n) != m || (long) (change.removed().size() + change.added().size()) * 8 > n) {
      return create(group);
    }
    int[] next = table.clone();
    if (!change.removed().isEmpty()) {
      boolean[] leaving = new boolean[change.maxSlot() + 1];
      for (EndpointState s : change.removed()) {
        leaving[s.slot] = true;
      }
      // Walk backwards from a slot that stays, carrying the owner of the nearest following kept slot.
      int anchor = -1;
      for (int p = 0; p < m && anchor < 0; p++) {
        if (!isLeaving(next[p], leaving)) {
          anchor = p;
        }
      }
      int owner = next[anchor];
      for (int k = 1; k < m; k++) {
        int p = Math.floorMod(anchor - k, m);
        if (isLeaving(next[p], leaving)) {
          next[p] = owner;
        } else {
          owner = next[p];
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
            next[(int) c] = s.slot;
            claimed++;
          }
          c += step;
          if (c >= m) {
            c -= m;
          }
        }
      }
    }
    return new MaglevSelector(next, indexOfSlots(group), n);
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
