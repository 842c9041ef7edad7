package io.kdiscovery.table;

/** No complete snapshot of a Service port arrived within the time a caller was willing to wait. */
public final class SnapshotTimeoutException extends RuntimeException {

  SnapshotTimeoutException(String message) {
    super(message);
  }
}
