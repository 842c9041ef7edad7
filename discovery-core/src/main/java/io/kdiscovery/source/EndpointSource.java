package io.kdiscovery.source;

import io.kdiscovery.model.ServiceKey;

/**
 * Where endpoints come from: the plug-in point between a discovery mechanism (EndpointSlice watches,
 * DNS, a static list) and the live table.
 *
 * <p>Implementations must be thread-safe. {@link #watch} must not block on I/O: it starts the work
 * and returns. For one watch, the listener is called serially (never concurrently), from threads of
 * the source, and every {@link Listener#onState} carries the complete state, which replaces the
 * previous one whole. After {@link Watch#close()} returns, a
 * delivery already under way may still arrive; the table ignores it.
 */
public interface EndpointSource extends AutoCloseable {

  /** A short name for logs and status, such as {@code kubernetes} or {@code dns}. */
  String name();

  /** Starts watching one Service port. The returned handle stops it; closing twice is harmless. */
  Watch watch(ServiceKey key, Listener listener);

  /** Stops every watch and releases what the source owns (not a client the user passed in). */
  @Override
  void close();

  /** A running watch. */
  interface Watch extends AutoCloseable {
    @Override
    void close();
  }

  /** Receives a watch's results. Must not block: hand the work to another thread. */
  interface Listener {

    /** The complete current state of the Service port, from a successful read or watch event. */
    void onState(SourceState state);

    /**
     * A complete state read while the source is still out of step (say, it could list but its watch
     * keeps failing): take the data, but stay out of step with {@code reason}. The default takes the
     * state and then reports the failure.
     */
    default void onStateOutOfStep(SourceState state, String reason, Throwable cause) {
      onState(state);
      onFailure(reason, cause);
    }

    /** As {@link #onStateOutOfStep(SourceState, String, Throwable)}, with the failure's kind. */
    default void onStateOutOfStep(SourceState state, String reason, Throwable cause, FailureKind kind) {
      onStateOutOfStep(state, reason, cause);
    }

    /**
     * As {@link #onFailure(String, Throwable)}, with the failure's kind typed by the source; the
     * default forgets the kind. Sources that know it call this one.
     */
    default void onFailure(String reason, Throwable cause, FailureKind kind) {
      onFailure(reason, cause);
    }

    /**
     * The source lost contact or could not read; the last state stays the best knowledge.
     * The source keeps retrying by itself and calls {@link #onState} when it is back.
     *
     * @param reason one line, for logs and status
     */
    void onFailure(String reason, Throwable cause);
  }
}
