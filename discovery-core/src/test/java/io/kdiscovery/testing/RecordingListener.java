package io.kdiscovery.testing;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.SnapshotListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records every snapshot it receives, for assertions on whole sequences. */
public final class RecordingListener implements SnapshotListener {

  private final List<ServiceSnapshot> snapshots = new CopyOnWriteArrayList<>();

  @Override
  public void onSnapshot(ServiceSnapshot snapshot) {
    snapshots.add(snapshot);
  }

  public List<ServiceSnapshot> snapshots() {
    return List.copyOf(snapshots);
  }

  public ServiceSnapshot last() {
    return snapshots.isEmpty() ? null : snapshots.get(snapshots.size() - 1);
  }

  /** The addresses of the last snapshot's ready endpoints, in table order. */
  public List<String> lastReadyAddresses() {
    ServiceSnapshot last = last();
    return last == null ? List.of() : last.readyEndpoints().stream().map(Endpoint::address).toList();
  }
}
