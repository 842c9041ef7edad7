package io.kdiscovery.table;

/**
 * Receives each {@link ProgrammingLatency} measured: one per published snapshot that carries a change
 * trigger time, for the table and for each balancer bound to it.
 *
 * <p>Called on the table's control thread (or the thread that updated a balancer), so it must be
 * quick and must not block: record into a histogram and return. An exception is logged and does
 * not stop later calls.
 */
@FunctionalInterface
public interface ProgrammingLatencyListener {

  void onLatency(ProgrammingLatency latency);

  /** A listener that ignores every measurement. */
  static ProgrammingLatencyListener none() {
    return latency -> {};
  }
}
