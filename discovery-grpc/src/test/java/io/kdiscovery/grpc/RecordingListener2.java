package io.kdiscovery.grpc;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records every result a name resolver pushes, for assertions on whole sequences. */
final class RecordingListener2 extends NameResolver.Listener2 {

  private final List<NameResolver.ResolutionResult> results = new CopyOnWriteArrayList<>();

  @Override
  public void onResult(NameResolver.ResolutionResult result) {
    results.add(result);
  }

  @Override
  public Status onResult2(NameResolver.ResolutionResult result) {
    results.add(result);
    return Status.OK;
  }

  @Override
  public void onError(Status error) {
    throw new AssertionError("the resolver reports errors through onResult2, got onError(" + error + ")");
  }

  List<NameResolver.ResolutionResult> results() {
    return List.copyOf(results);
  }

  NameResolver.ResolutionResult last() {
    return results.isEmpty() ? null : results.get(results.size() - 1);
  }

  /** The last result's addresses as {@code ip:port}, or null when it was an error or there is none. */
  List<String> lastAddresses() {
    NameResolver.ResolutionResult last = last();
    if (last == null || !last.getAddressesOrError().hasValue()) {
      return null;
    }
    return last.getAddressesOrError().getValue().stream().map(RecordingListener2::hostPort).toList();
  }

  /** The last result's error, or null when it carried addresses or there is none. */
  Status lastError() {
    NameResolver.ResolutionResult last = last();
    return last == null || last.getAddressesOrError().hasValue() ? null : last.getAddressesOrError().getStatus();
  }

  static String hostPort(EquivalentAddressGroup group) {
    InetSocketAddress address = (InetSocketAddress) group.getAddresses().get(0);
    return address.getAddress().getHostAddress() + ":" + address.getPort();
  }
}
