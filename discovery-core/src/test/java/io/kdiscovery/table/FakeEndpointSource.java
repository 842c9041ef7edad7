package io.kdiscovery.table;

import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.EndpointSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import io.kdiscovery.source.SourceState;

/** A source the test drives by hand; it records which watches are open. */
final class FakeEndpointSource implements EndpointSource {

  final AtomicInteger watchesStarted = new AtomicInteger();
  final List<ServiceKey> closedWatches = new CopyOnWriteArrayList<>();
  private final Map<ServiceKey, Listener> open = new ConcurrentHashMap<>();

  @Override
  public String name() {
    return "fake";
  }

  @Override
  public Watch watch(ServiceKey key, Listener listener) {
    watchesStarted.incrementAndGet();
    open.put(key, listener);
    return () -> {
      open.remove(key);
      closedWatches.add(key);
    };
  }

  boolean watching(ServiceKey key) {
    return open.containsKey(key);
  }

  void publish(ServiceKey key, SourceState state) {
    Listener listener = open.get(key);
    if (listener == null) {
      throw new IllegalStateException("nobody watches " + key);
    }
    listener.onState(state);
  }

  void fail(ServiceKey key, String reason) {
    open.get(key).onFailure(reason, new RuntimeException(reason));
  }

  @Override
  public void close() {
    open.clear();
  }
}
