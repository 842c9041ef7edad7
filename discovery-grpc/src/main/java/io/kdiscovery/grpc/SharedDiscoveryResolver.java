package io.kdiscovery.grpc;

import io.grpc.NameResolver;
import io.kdiscovery.KDiscovery;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A resolver on the {@link SharedDiscovery} instance that gives its reference back when the channel
 * shuts it down. Everything else is the wrapped resolver's. Thread-safe as the wrapped one is;
 * {@link #shutdown()} releases once however often it is called.
 */
final class SharedDiscoveryResolver extends NameResolver {

  private final NameResolver delegate;
  private final SharedDiscovery shared;
  private final KDiscovery discovery;
  private final AtomicBoolean released = new AtomicBoolean();

  SharedDiscoveryResolver(NameResolver delegate, SharedDiscovery shared, KDiscovery discovery) {
    this.delegate = delegate;
    this.shared = shared;
    this.discovery = discovery;
  }

  @Override
  public String getServiceAuthority() {
    return delegate.getServiceAuthority();
  }

  @Override
  public void start(Listener2 listener) {
    delegate.start(listener);
  }

  @Override
  public void refresh() {
    delegate.refresh();
  }

  @Override
  public void shutdown() {
    try {
      delegate.shutdown();
    } finally {
      if (released.compareAndSet(false, true)) {
        shared.release(discovery);
      }
    }
  }

  @Override
  public String toString() {
    return delegate + " (shared KDiscovery)";
  }
}
