package io.kdiscovery.grpc;

/**
 * The cause the {@code kubernetes} resolver puts on the error it reports when the Service has no
 * usable pod or does not exist: a definite answer, which the {@code kdiscovery} policy fails calls on
 * at once, unlike a transient resolver error, on which it keeps serving the last good pods.
 */
final class NoUsablePodException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  NoUsablePodException(String message) {
    super(message, null, false, false); // a marker: no stack trace to fill
  }
}
