package io.kdiscovery.catalog;

import io.kdiscovery.table.SourceStatus;
import io.kdiscovery.table.Subscription;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A live list of the Services of one namespace (or of every namespace), served from a watch of
 * Services: reading it never makes a request to the API server.
 *
 * <p>Thread-safe. {@link #snapshot()} and {@link #status()} never block; {@link #awaitSnapshot}
 * blocks at most for its timeout. Listeners run on a listener thread of the library, one call at a
 * time per subscription, never under a lock, and must not block. Closing releases this hold: the
 * watch stops when nothing else (another catalog, a Service watched in namespace scope) uses it.
 */
public interface ServiceCatalog extends AutoCloseable {

  /** The namespace listed, or empty for a catalog of every namespace. */
  Optional<String> namespace();

  /** The latest list, or empty until the first complete list arrived. */
  Optional<CatalogSnapshot> snapshot();

  /**
   * Waits for the first complete list.
   *
   * @throws io.kdiscovery.table.SnapshotTimeoutException after {@code timeout}, naming the real cause
   *     (such as an unknown host, a refused connection or a missing permission) and the API server URL
   */
  CatalogSnapshot awaitSnapshot(Duration timeout);

  /**
   * Delivers the current list (if there is one) and then every changed list to {@code listener}, on a
   * listener thread; a listener that falls behind receives the newest list next.
   */
  Subscription subscribe(Consumer<CatalogSnapshot> listener);

  /** Whether the list is in step with the API server, and if not, why. */
  SourceStatus status();

  /** Releases this hold; the first call counts, later ones do nothing. */
  @Override
  void close();
}
