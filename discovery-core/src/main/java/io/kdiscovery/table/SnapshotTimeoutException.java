package io.kdiscovery.table;

/**
 * No complete snapshot (of a Service port, or of a Service catalog) arrived within the time a caller
 * was willing to wait. The message names what was awaited, the timeout, the source's state and its
 * last failure (the root cause, such as "connection refused 127.0.0.1:6443", and the API server URL).
 */
public final class SnapshotTimeoutException extends RuntimeException {

  public SnapshotTimeoutException(String message) {
    super(message);
  }

  public SnapshotTimeoutException(String message, Throwable cause) {
    super(message, cause);
  }
}
