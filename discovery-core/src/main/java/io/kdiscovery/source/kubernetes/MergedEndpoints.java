package io.kdiscovery.source.kubernetes;

import io.kdiscovery.model.Endpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The endpoints of one Service port, merged from the contributions of several sources (its
 * EndpointSlices, or the one v1/Endpoints object), kept up to date change by change.
 *
 * <p>Replacing one source's contribution costs O(k log n) for its k endpoints among n: an address
 * listed by two slices (as while the controller moves it) is kept once, with its best record (of
 * equally fit records, the one of the slice whose key sorts first, so that the table is a function of
 * the current slices alone, as a full translation gives it: {@link EndpointTranslator#isBetter}), and
 * the order (by address, then port) is kept by a sorted set, so nothing is re-sorted or compared
 * whole. The published list is built again only after a change, once, when asked for.
 *
 * <p>Not thread-safe: used from its watch's serial context only.
 */
final class MergedEndpoints {

  private static final Comparator<Merged> ORDER = Comparator
      .comparingInt((Merged m) -> m.family)
      .thenComparing((Merged a, Merged b) -> Long.compareUnsigned(a.high, b.high))
      .thenComparing((Merged a, Merged b) -> Long.compareUnsigned(a.low, b.low))
      .thenComparingInt(m -> m.port);

  private final Map<String, List<Endpoint>> bySource = new HashMap<>();
  private final Map<String, Merged> byHostPort = new HashMap<>();
  private final TreeSet<Merged> ordered = new TreeSet<>(ORDER);
  private List<Endpoint> published = List.of();
  private Merged[] order = new Merged[0]; // the merged records in published order, while not structural
  private final List<Merged> rechosen = new ArrayList<>(); // records whose best changed in place
  private boolean dirty;
  private boolean structural; // an address was added or removed: the order must be walked again

  /** Replaces what {@code source} contributes; returns whether the merged endpoints changed. */
  boolean put(String source, List<Endpoint> endpoints) {
    List<Endpoint> previous = bySource.put(source, endpoints);
    if (previous != null && previous.equals(endpoints)) {
      return false; // the slice changed elsewhere (another port, a label): nothing to do here
    }
    boolean changed = false;
    // New records first, then the old ones out: an address the slice keeps never leaves the order.
    for (Endpoint e : endpoints) {
      changed |= contribute(source, e);
    }
    if (previous != null) {
      for (Endpoint e : previous) {
        changed |= withdraw(source, e);
      }
    }
    if (endpoints.isEmpty()) {
      bySource.remove(source);
    }
    dirty |= changed;
    return changed;
  }

  /** Drops what {@code source} contributed; returns whether the merged endpoints changed. */
  boolean remove(String source) {
    List<Endpoint> previous = bySource.remove(source);
    if (previous == null) {
      return false;
    }
    boolean changed = false;
    for (Endpoint e : previous) {
      changed |= withdraw(source, e);
    }
    dirty |= changed;
    return changed;
  }

  /** Drops every contribution. */
  void clear() {
    if (!byHostPort.isEmpty()) {
      dirty = true;
      structural = true;
    }
    bySource.clear();
    byHostPort.clear();
    ordered.clear();
    rechosen.clear();
  }

  /** The sources with a contribution now. */
  java.util.Set<String> sources() {
    return bySource.keySet();
  }

  int size() {
    return byHostPort.size();
  }

  /** The merged endpoints, sorted; the same instance until the next change. */
  List<Endpoint> endpoints() {
    if (!dirty) {
      return published;
    }
    Endpoint[] array;
    if (structural) {
      order = ordered.toArray(new Merged[0]);
      array = new Endpoint[order.length];
      for (int i = 0; i < order.length; i++) {
        array[i] = order[i].best;
      }
    } else {
      // Only some records changed in place (a pod turned ready, say): copy and patch, O(n) memcpy.
      array = published.toArray(new Endpoint[0]);
      for (Merged m : rechosen) {
        int i = Arrays.binarySearch(order, m, ORDER);
        if (i >= 0) {
          array[i] = m.best;
        }
      }
    }
    published = List.of(array);
    rechosen.clear();
    dirty = false;
    structural = false;
    return published;
  }

  private boolean contribute(String source, Endpoint e) {
    Merged merged = byHostPort.get(e.hostPort());
    if (merged == null) {
      merged = new Merged(source, e);
      byHostPort.put(e.hostPort(), merged);
      ordered.add(merged);
      structural = true;
      return true;
    }
    merged.add(source, e);
    return rechoose(merged);
  }

  private boolean rechoose(Merged merged) {
    if (merged.chooseBest()) {
      rechosen.add(merged);
      return true;
    }
    return false;
  }

  private boolean withdraw(String source, Endpoint e) {
    Merged merged = byHostPort.get(e.hostPort());
    if (merged == null) {
      return false;
    }
    merged.remove(source, e);
    if (merged.isEmpty()) {
      byHostPort.remove(e.hostPort());
      ordered.remove(merged);
      structural = true;
      return true;
    }
    return rechoose(merged);
  }

  /**
   * One address and port, with every record of it and the best one. Nearly always one slice lists
   * it, so the first record has fields of its own and only further ones take a list (memory: the
   * port's state is per endpoint).
   */
  private static final class Merged {
    final int family;
    final long high;
    final long low;
    final int port;
    private String firstSource;
    private Endpoint firstRecord;
    private List<String> moreSources; // null until a second slice lists the address
    private List<Endpoint> moreRecords;
    Endpoint best;

    Merged(String source, Endpoint first) {
      byte[] bytes = first.socketAddress().getAddress().getAddress();
      this.family = bytes.length; // 4 before 16: IPv4 before IPv6
      byte[] padded = bytes.length == 16 ? bytes : Arrays.copyOf(bytes, 16);
      this.high = toLong(padded, 0);
      this.low = toLong(padded, 8);
      this.port = first.port();
      this.firstSource = source;
      this.firstRecord = first;
      this.best = first;
    }

    void add(String source, Endpoint record) {
      if (firstRecord == null) {
        firstSource = source;
        firstRecord = record;
        return;
      }
      if (moreRecords == null) {
        moreSources = new ArrayList<>(1);
        moreRecords = new ArrayList<>(1);
      }
      moreSources.add(source);
      moreRecords.add(record);
    }

    void remove(String source, Endpoint record) {
      if (firstRecord != null && firstSource.equals(source) && firstRecord.equals(record)) {
        if (moreRecords == null || moreRecords.isEmpty()) {
          firstSource = null;
          firstRecord = null;
        } else {
          firstSource = moreSources.remove(moreSources.size() - 1);
          firstRecord = moreRecords.remove(moreRecords.size() - 1);
        }
        return;
      }
      if (moreRecords != null) {
        for (int i = 0; i < moreRecords.size(); i++) {
          if (moreSources.get(i).equals(source) && moreRecords.get(i).equals(record)) {
            moreSources.remove(i);
            moreRecords.remove(i);
            return;
          }
        }
      }
    }

    boolean isEmpty() {
      return firstRecord == null;
    }

    /** Returns whether the best record changed; the choice depends on the records held, not their order. */
    boolean chooseBest() {
      Endpoint chosen = firstRecord;
      String chosenSource = firstSource;
      if (moreRecords != null) {
        for (int i = 0; i < moreRecords.size(); i++) {
          if (EndpointTranslator.isBetter(moreRecords.get(i), moreSources.get(i), chosen, chosenSource)) {
            chosen = moreRecords.get(i);
            chosenSource = moreSources.get(i);
          }
        }
      }
      boolean changed = !chosen.equals(best);
      best = chosen;
      return changed;
    }

    private static long toLong(byte[] bytes, int offset) {
      long value = 0;
      for (int i = 0; i < 8; i++) {
        value = (value << 8) | (bytes[offset + i] & 0xff);
      }
      return value;
    }
  }
}
