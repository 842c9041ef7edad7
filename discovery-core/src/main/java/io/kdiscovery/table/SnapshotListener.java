package io.kdiscovery.table;

import io.kdiscovery.model.ServiceSnapshot;

/**
 * Receives every new snapshot of a Service port.
 *
 * <p>Called on a listener thread of the table, never under a lock, one call at a time per
 * subscription, with versions strictly increasing. A listener that falls behind receives the newest
 * snapshot next and skips the ones in between: each snapshot is complete, so nothing is lost. A slow
 * or throwing listener delays or disturbs only itself; an exception is logged and delivery goes on.
 */
@FunctionalInterface
public interface SnapshotListener {

  void onSnapshot(ServiceSnapshot snapshot);
}
