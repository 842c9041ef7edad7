package io.kdiscovery.balancing;

import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Consistent hashing through a Maglev lookup table (Eisenbud et al., NSDI 2016): every endpoint has its
 * own pseudo-random permutation of the table's slots (an offset and a skip derived from two hashes of
 * its name), and the endpoints take turns claiming their next preferred free slot until the table is
 * full. A key then costs one multiply and one array read. Each endpoint gets an almost equal share of
 * slots; removing one moves its keys and, unlike a ring, a small share of others' keys too.
 *
 * <p>The table size is a prime at least 100 times the endpoint count, from fixed tiers (65 537 up), so
 * that it does not change, and reshuffle every key, when the endpoint count changes a little. Weights
 * are not honoured.
 */
final class MaglevSelector implements Selector {

  private static final long OFFSET_SEED = 0x6a09e667f3bcc909L;
  private static final long SKIP_SEED = 0xbb67ae8584caa73bL;
  private static final int[] TABLE_SIZES = tableSizes();

  private final int[] table;
  private final int size;

  private MaglevSelector(int[] table, int size) {
    this.table = table;
    this.size = size;
  }

  static MaglevSelector create(String[] ids) {
    int n = ids.length;
    int m = tableSize(n);
    int[] table = new int[m];
    Arrays.fill(table, -1);
    long[] offset = new long[n];
    long[] skip = new long[n];
    long[] cursor = new long[n];
    for (int i = 0; i < n; i++) {
      offset[i] = Math.floorMod(Hashing.hash(ids[i], OFFSET_SEED), (long) m);
      skip[i] = Math.floorMod(Hashing.hash(ids[i], SKIP_SEED), (long) m - 1) + 1;
      cursor[i] = offset[i];
    }
    int filled = 0;
    while (true) {
      for (int i = 0; i < n; i++) {
        // Walk endpoint i's permutation (offset + j * skip) mod m to its next free slot.
        long c = cursor[i];
        while (table[(int) c] >= 0) {
          c += skip[i];
          if (c >= m) {
            c -= m;
          }
        }
        table[(int) c] = i;
        c += skip[i];
        cursor[i] = c >= m ? c - m : c;
        if (++filled == m) {
          return new MaglevSelector(table, n);
        }
      }
    }
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
    return table[slot(context.hashKey())];
  }

  @Override
  public int reselect(PickContext context, int attempt) {
    if (!context.hasHashKey()) {
      return select(context);
    }
    return table[(int) ((slot(context.hashKey()) + (long) attempt) % table.length)];
  }

  /** Maps the key's high 32 bits onto the table by multiplication, which is cheaper than a modulo. */
  private int slot(long hashKey) {
    return (int) (((hashKey >>> 32) * table.length) >>> 32);
  }

  int tableLength() {
    return table.length;
  }
}
