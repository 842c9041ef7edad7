package io.kdiscovery.balancing;

import io.kdiscovery.model.Endpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One client's subset of a Service's usable endpoints: deterministic aperture on a ring of slots that
 * is repaired in place as pods come and go. Not thread-safe: owned by the balancer's update thread.
 *
 * <pre>
 *   ring:    slot positions in [0, 1), each holding a pod (address:port) or a hole
 *   client:  one point u in [0, 1) (golden-ratio spacing of its index, or a hash of its seed)
 *   subset:  the first k pods met walking clockwise from u, holes skipped
 * </pre>
 *
 * <b>Layout.</b> The canonical ring puts the pods, sorted by a stable hash of {@code address:port},
 * at the evenly spaced positions {@code j / n}: every pod owns the same arc, so clients spread evenly
 * over the ring (see {@link #indexPosition}) spread evenly over the pods, within one client of even.
 * Every client that starts from the same pods lays out the same ring.
 *
 * <p><b>Repair, so that churn is the least possible.</b> A pod that leaves turns its slot into a hole:
 * only the clients whose walk met it move on (to the next pod after their window); nobody else's
 * subset changes. A pod that joins fills the nearest hole clockwise from its own hash position (the
 * clients that lost the hole's pod take the new one, as a rolling update wants), or, when there is no
 * hole, takes a new slot in the middle of the widest gap: only the clients whose walk now meets it
 * take it, each dropping the last pod of its window.
 *
 * <p><b>Re-laying.</b> Holes and inserted slots make the arcs uneven: a pod right after a hole is met
 * by the clients of one more slot. When the busiest pod's arc exceeds an even share by more than 10 %
 * (or one slot, 1/k, when that is more, so that a single hole never does it), the ring is laid out
 * canonically again. The canonical order is the hash order, so this shifts most clients by a pod or
 * two rather than reshuffling them; it also brings clients that started at different moments back to
 * one layout. BENCHMARKS.md ("Subsetting") gives the churn and balance through a rolling update.
 *
 * <p>Cost per update: a pass over the usable endpoints (hash lookups), plus, per pod that joined or
 * left, a lookup in the ring and at worst one copy of its arrays.
 */
final class SubsetRing {

  private static final double TO_UNIT = 0x1.0p-53;
  /** 2^64 / golden ratio: consecutive multiples of it spread over a ring with the least clustering. */
  private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
  private static final double[] NO_POSITIONS = new double[0];
  private static final String[] NO_MEMBERS = new String[0];
  /** Pods by stable hash, ties by name: the same order in every client. */
  private static final Comparator<String> RING_ORDER =
      Comparator.<String>comparingLong(Hashing::hash).thenComparing(Comparator.naturalOrder());

  private final int size;
  private final double client;
  /**
   * How far above an even share the busiest pod may get before the ring is laid out anew: 10 %, or
   * one slot of a window (1/k) when that is more, so that one hole alone never triggers it.
   */
  private final double tolerance;

  private double[] positions = NO_POSITIONS; // ascending
  private String[] members = NO_MEMBERS; // address:port per slot; null for a hole
  private final Map<String, Double> positionOf = new HashMap<>();
  private int holes;

  /**
   * @param size how many pods this client uses (k)
   * @param client this client's point on the ring, in [0, 1)
   */
  SubsetRing(int size, double client) {
    this.size = size;
    this.client = client;
    this.tolerance = Math.max(0.1, 1.0 / size);
  }

  /**
   * The point of the client with this index: the fractional part of {@code index} times the golden
   * ratio. Any run of consecutive indices is spread evenly (no two points closer than about 0.38 of
   * the even spacing), whatever the number of clients, so the number of clients need not be known.
   */
  static double indexPosition(long index) {
    return ((index * GOLDEN_GAMMA) >>> 11) * TO_UNIT;
  }

  /** The point of a client that knows no index: a stable hash of its seed (random subsetting). */
  static double seedPosition(String seed) {
    return unit(Hashing.hash(seed));
  }

  /**
   * Brings the ring up to date with {@code usable} and returns this client's subset: the members of
   * {@code usable} that it uses, in their given order; all of them when there are at most k.
   */
  List<Endpoint> subset(List<Endpoint> usable) {
    Set<String> current = new HashSet<>(usable.size() * 2);
    for (Endpoint e : usable) {
      current.add(e.hostPort());
    }
    update(current);
    if (usable.size() <= size) {
      return usable;
    }
    Set<String> chosen = chosen();
    List<Endpoint> subset = new ArrayList<>(size);
    for (Endpoint e : usable) {
      if (chosen.contains(e.hostPort())) {
        subset.add(e);
      }
    }
    return List.copyOf(subset);
  }

  private void update(Set<String> current) {
    List<String> joined = new ArrayList<>();
    for (String member : current) {
      if (!positionOf.containsKey(member)) {
        joined.add(member);
      }
    }
    if (joined.isEmpty() && positionOf.size() == current.size()) {
      return; // the same pods: the same subset
    }
    for (var it = positionOf.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Double> entry = it.next();
      if (!current.contains(entry.getKey())) {
        members[slotOf(entry.getValue())] = null;
        holes++;
        it.remove();
      }
    }
    if (positionOf.isEmpty()) { // first update, or every pod left: nothing to keep
      layOut(current);
      return;
    }
    joined.sort(RING_ORDER);
    for (String pod : joined) {
      join(pod);
    }
    if (busiestShare() > 1 + tolerance) {
      layOut(current);
    }
  }

  /**
   * The busiest pod's share of the ring relative to an even share: a pod's share is the arc of
   * client points whose walk meets it, from its k-th pod back (holes skipped) to itself.
   */
  private double busiestShare() {
    int pods = positionOf.size();
    if (pods <= size) {
      return 1; // every client uses every pod
    }
    double[] podPositions = new double[pods];
    int n = 0;
    for (int slot = 0; slot < members.length; slot++) {
      if (members[slot] != null) {
        podPositions[n++] = positions[slot];
      }
    }
    double busiest = 0;
    for (int j = 0; j < pods; j++) {
      double arc = podPositions[j] - podPositions[(j - size + pods) % pods];
      busiest = Math.max(busiest, arc <= 0 ? arc + 1 : arc);
    }
    return busiest * pods / size;
  }

  /** The canonical ring: the pods in stable-hash order at evenly spaced positions. */
  private void layOut(Set<String> current) {
    String[] pods = current.toArray(new String[0]);
    Arrays.sort(pods, RING_ORDER);
    positions = new double[pods.length];
    members = pods;
    positionOf.clear();
    for (int j = 0; j < pods.length; j++) {
      positions[j] = (double) j / pods.length;
      positionOf.put(pods[j], positions[j]);
    }
    holes = 0;
  }

  private void join(String pod) {
    double home = unit(Hashing.hash(pod));
    int from = lowerBound(home);
    if (holes > 0) {
      for (int step = 0; step < members.length; step++) {
        int slot = (from + step) % members.length;
        if (members[slot] == null) {
          members[slot] = pod;
          positionOf.put(pod, positions[slot]);
          holes--;
          return;
        }
      }
    }
    // No hole: a new slot in the middle of the widest gap, the first such clockwise from its hash.
    int count = positions.length;
    double widest = -1;
    int after = 0;
    for (int step = 0; step < count; step++) {
      int slot = (from + step) % count;
      double gap = positions[slot] - positions[(slot + count - 1) % count];
      gap = gap <= 0 ? gap + 1 : gap;
      if (gap > widest * (1 + 1e-9)) {
        widest = gap;
        after = slot;
      }
    }
    double start = positions[(after + count - 1) % count];
    double middle = start + widest / 2;
    if (middle >= 1) {
      middle -= 1;
    }
    int at = lowerBound(middle);
    positions = insert(positions, at, middle);
    members = insert(members, at, pod);
    positionOf.put(pod, middle);
  }

  /** This client's k pods: the first met clockwise from its point. */
  private Set<String> chosen() {
    Set<String> chosen = new HashSet<>(size * 2);
    int start = lowerBound(client);
    for (int step = 0; step < members.length && chosen.size() < size; step++) {
      String member = members[(start + step) % members.length];
      if (member != null) {
        chosen.add(member);
      }
    }
    return chosen;
  }

  /** The first slot whose position is at least {@code position}, or the slot count when none is. */
  private int lowerBound(double position) {
    int i = Arrays.binarySearch(positions, position);
    return i >= 0 ? i : -i - 1;
  }

  private int slotOf(double position) {
    return Arrays.binarySearch(positions, position);
  }

  private static double unit(long hash) {
    return (hash >>> 11) * TO_UNIT;
  }

  private static double[] insert(double[] array, int at, double value) {
    double[] next = new double[array.length + 1];
    System.arraycopy(array, 0, next, 0, at);
    next[at] = value;
    System.arraycopy(array, at, next, at + 1, array.length - at);
    return next;
  }

  private static String[] insert(String[] array, int at, String value) {
    String[] next = new String[array.length + 1];
    System.arraycopy(array, 0, next, 0, at);
    next[at] = value;
    System.arraycopy(array, at, next, at + 1, array.length - at);
    return next;
  }

  // ---------------------------------------------------------------- for tests in this package

  int holes() {
    return holes;
  }
}
