package io.kdiscovery.source;

/**
 * What kind of failure keeps a source out of step: typed from the HTTP status code or the network
 * error, so that callers decide on the kind, never on the words of a message (which names the API
 * server's URL, and a URL may contain any digits).
 *
 * <p>Only {@link #FORBIDDEN} and {@link #UNAUTHORIZED} mean "may not read"; every other kind is
 * transient and is retried with backoff.
 */
public enum FailureKind {
  /** No failure: the source is in step. */
  NONE,
  /** HTTP 401: the credentials were refused. */
  UNAUTHORIZED,
  /** HTTP 403: the application may not read this; the message names the verbs to grant. */
  FORBIDDEN,
  /** HTTP 404: the API (or the object) does not exist on this server. */
  NOT_FOUND,
  /** HTTP 410: the resourceVersion is too old; one relist follows. */
  GONE,
  /** HTTP 429: the API server asks to slow down; retried after its {@code Retry-After}. */
  THROTTLED,
  /** HTTP 5xx: the API server failed. */
  SERVER_ERROR,
  /** No answer in time. */
  TIMEOUT,
  /** The API server could not be reached: connection refused, no route, unknown host. */
  UNREACHABLE,
  /** An open connection was reset or closed by the network or the server. */
  CONNECTION_LOST,
  /** A watch carried neither an event nor a bookmark for its idle bound, and its restart got no answer. */
  SILENT,
  /** The API server answered something that could not be parsed. */
  INVALID_ANSWER,
  /** Anything else (a bug, an unexpected exception): the message says what. */
  OTHER;

  /** Whether this kind means the application may not read (401 or 403): the only non-transient kinds. */
  public boolean deniesAccess() {
    return this == FORBIDDEN || this == UNAUTHORIZED;
  }
}
