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
 * <p>Cost per update: a pass over the usable endpoints (one hash lookup each, marking the pods seen;
 * no set of them is built), a pass over the ring's pods for the leavers and the busiest arc, and per
 * pod that joined at worst one copy of the ring's arrays; a re-layout sorts the pods.
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
  private final Map<String, Slot> slotOf = new HashMap<>(); // the pods on the ring
  private int updates; // numbers each update, to mark the pods it saw
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
    update(usable);
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

  /** Finds who joined and who left by marking the pods seen, without a set of the new ones. */
  private void update(List<Endpoint> usable) {
    int mark = ++updates;
    List<String> joined = new ArrayList<>();
    for (Endpoint e : usable) {
      Slot slot = slotOf.get(e.hostPort());
      if (slot == null) {
        joined.add(e.hostPort());
      } else {
        slot.mark = mark;
      }
    }
    if (joined.isEmpty() && slotOf.size() == usable.size()) {
      return; // the same pods: the same subset
    }
    for (var it = slotOf.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Slot> entry = it.next();
      if (entry.getValue().mark != mark) {
        members[indexOf(entry.getValue().position)] = null;
        holes++;
        it.remove();
      }
    }
    if (slotOf.isEmpty()) { // first update, or every pod left: nothing to keep
      layOut(new ArrayList<>(new java.util.LinkedHashSet<>(joined)));
      return;
    }
    joined.sort(RING_ORDER);
    String previous = null;
    for (String pod : joined) {
      if (!pod.equals(previous)) { // an address listed twice joins once
        join(pod);
      }
      previous = pod;
    }
    if (busiestShare() > 1 + tolerance) {
      List<String> all = new ArrayList<>(slotOf.keySet());
      layOut(all);
    }
  }

  /**
   * The busiest pod's share of the ring relative to an even share: a pod's share is the arc of
   * client points whose walk meets it, from its k-th pod back (holes skipped) to itself.
   */
  private double busiestShare() {
    int pods = slotOf.size();
    if (pods <= size) {
      return 1; // every client uses every pod
    }
    // Two laps over the pods with the last k positions in a small circular buffer: the second lap
    // sees, for every pod, the pod k before it.
    double[] lastK = new double[size];
    int seen = 0;
    double busiest = 0;
    for (int lap = 0; lap < 2; lap++) {
      for (int slot = 0; slot < members.length; slot++) {
        if (members[slot] == null) {
          continue;
        }
        double position = positions[slot] + lap;
        if (seen >= pods) {
          busiest = Math.max(busiest, position - lastK[seen % size]);
        }
        lastK[seen % size] = position;
        seen++;
      }
    }
    return busiest * pods / size;
  }

  /** The canonical ring: the pods in stable-hash order at evenly spaced positions. */
  private void layOut(List<String> current) {
    String[] pods = current.toArray(new String[0]);
    Arrays.sort(pods, RING_ORDER);
    positions = new double[pods.length];
    members = pods;
    slotOf.clear();
    for (int j = 0; j < pods.length; j++) {
      positions[j] = (double) j / pods.length;
      slotOf.put(pods[j], new Slot(positions[j], updates));
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
          slotOf.put(pod, new Slot(positions[slot], updates));
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
    slotOf.put(pod, new Slot(middle, updates));
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

  private int indexOf(double position) {
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

  /** Where a pod sits, and the last update that saw it. */
  private static final class Slot {
    final double position;
    int mark;

    Slot(double position, int mark) {
      this.position = position;
      this.mark = mark;
    }
  }
}
