package io.kdiscovery.table;

/** Stops a {@link SnapshotListener}'s deliveries. Thread-safe; closing twice is harmless. */
public interface Subscription extends AutoCloseable {

  /** No delivery starts after this returns; one under way may still complete. */
  @Override
  void close();
}
