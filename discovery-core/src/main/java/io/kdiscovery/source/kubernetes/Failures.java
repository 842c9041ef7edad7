package io.kdiscovery.source.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.WatcherException;
import io.kdiscovery.source.FailureKind;
import java.io.EOFException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * One line that says why a call to the API server failed: its root cause, not fabric8's outer
 * "Operation: [list] ... failed." wrapper, nor the "Exhausted reconnects" that fabric8 reports
 * (without a cause) when a watch connection breaks and the library's own reconnect limit of 0 keeps
 * fabric8 from retrying. And the failure's {@link FailureKind}, typed from the HTTP status code or
 * the exception's type, never from the message's words. Stateless.
 */
final class Failures {

  /** fabric8's message when a watch connection broke and it may not reconnect; it drops the cause. */
  static final String EXHAUSTED_RECONNECTS = "Exhausted reconnects";

  private Failures() {}

  private static boolean unresolved(List<Throwable> chain) {
    for (Throwable t : chain) {
      if (t instanceof java.nio.channels.UnresolvedAddressException) {
        return true;
      }
    }
    return false;
  }

  /** What kind of failure {@code error} is; {@link FailureKind#OTHER} when it cannot tell (or null). */
  static FailureKind kind(Throwable error) {
    if (error == null) {
      return FailureKind.OTHER;
    }
    List<Throwable> chain = chain(error);
    for (Throwable t : chain) {
      if (t instanceof SilentWatchException) {
        return FailureKind.SILENT;
      }
      if (t instanceof KubernetesClientException k && k.getCode() > 0) {
        int code = k.getCode();
        return switch (code) {
          case 401 -> FailureKind.UNAUTHORIZED;
          case 403 -> FailureKind.FORBIDDEN;
          case 404 -> FailureKind.NOT_FOUND;
          case 410 -> FailureKind.GONE;
          case 429 -> FailureKind.THROTTLED;
          case 408, 504 -> FailureKind.TIMEOUT;
          default -> code >= 500 ? FailureKind.SERVER_ERROR : FailureKind.OTHER;
        };
      }
    }
    if (isBrokenWatch(error)) {
      return FailureKind.CONNECTION_LOST;
    }
    // Anywhere in the chain, not only at its root: java.net.http reports a refused connection as a
    // ConnectException caused by a bare ClosedChannelException (see describe below).
    for (Throwable t : chain) {
      if (t instanceof UnknownHostException || t instanceof ConnectException || t instanceof NoRouteToHostException) {
        return FailureKind.UNREACHABLE;
      }
    }
    Throwable root = chain.get(chain.size() - 1);
    if (root instanceof SocketTimeoutException || root instanceof java.net.http.HttpTimeoutException
        || root instanceof TimeoutException
        || root instanceof InterruptedIOException) {
      return FailureKind.TIMEOUT;
    }
    if (root instanceof EOFException || root instanceof SocketException) {
      return FailureKind.CONNECTION_LOST;
    }
    if (isJson(root)) {
      return FailureKind.INVALID_ANSWER;
    }
    return FailureKind.OTHER;
  }

  /**
   * How long the API server asked to wait, from a 429 or 503's {@code Status.details.retryAfterSeconds}
   * (the API server's {@code Retry-After}; fabric8's exception keeps the Status, not the headers).
   */
  static Optional<Duration> retryAfter(Throwable error) {
    for (Throwable t : chain(error)) {
      if (t instanceof KubernetesClientException k && k.getStatus() != null && k.getStatus().getDetails() != null
          && k.getStatus().getDetails().getRetryAfterSeconds() != null
          && k.getStatus().getDetails().getRetryAfterSeconds() > 0) {
        return Optional.of(Duration.ofSeconds(k.getStatus().getDetails().getRetryAfterSeconds()));
      }
    }
    return Optional.empty();
  }

  /** A watch that fabric8 closed with its cause-less "Exhausted reconnects": its connection broke. */
  private static boolean isBrokenWatch(Throwable error) {
    return error instanceof WatcherException w && w.getCause() == null
        && EXHAUSTED_RECONNECTS.equals(w.getMessage());
  }

  private static boolean isJson(Throwable root) {
    return root.getClass().getName().contains(".jackson."); // Jackson 2 or 3, whichever fabric8 brings
  }

  private static List<Throwable> chain(Throwable error) {
    List<Throwable> chain = new ArrayList<>();
    for (Throwable t = error; t != null && !chain.contains(t); t = t.getCause()) {
      chain.add(t);
    }
    return chain;
  }

  static String describe(Throwable error) {
    List<Throwable> chain = chain(error);
    for (Throwable t : chain) {
      if (t instanceof SilentWatchException) {
        return t.getMessage();
      }
      if (t instanceof KubernetesClientException k && k.getCode() > 0) {
        String message = k.getStatus() != null && k.getStatus().getMessage() != null
            ? k.getStatus().getMessage() : firstLine(k.getMessage());
        int code = k.getCode();
        String name = switch (code) {
          case 401 -> " Unauthorized";
          case 403 -> " Forbidden";
          case 410 -> " Gone";
          case 429 -> " Too Many Requests (throttled by the API server"
              + retryAfter(k).map(d -> "; Retry-After " + d.toSeconds() + " s").orElse("") + ")";
          case 500 -> " Internal Server Error";
          case 503 -> " Service Unavailable";
          default -> "";
        };
        return "HTTP " + code + name + ": " + message;
      }
    }
    if (isBrokenWatch(error)) {
      // fabric8 drops the cause; what is known is that the open watch connection broke (a reset, or
      // the server or a proxy closed it) without an HTTP status.
      return "the watch connection was reset or closed without an HTTP status";
    }
    Throwable root = chain.get(chain.size() - 1);
    // java.net.http reports a name that does not resolve as a ConnectException caused by a bare
    // UnresolvedAddressException (no host in it: the caller adds the API server's URL).
    if (unresolved(chain)) {
      return "unknown host (the API server's name does not resolve)";
    }
    // The JDK's java.net.http reports a refused connection as a ConnectException caused by a bare
    // ClosedChannelException: name the deepest cause that says what happened, not the last one.
    for (int i = chain.size() - 1; i >= 0; i--) {
      Throwable t = chain.get(i);
      if (t instanceof ConnectException || t instanceof NoRouteToHostException || t instanceof UnknownHostException) {
        root = t;
        break;
      }
    }
    String message = firstLine(root.getMessage());
    if (root instanceof SocketException && !(root instanceof ConnectException)
        && !(root instanceof NoRouteToHostException)) {
      return (message.toLowerCase(Locale.ROOT).contains("reset") ? "connection reset: " : "connection reset or broken: ")
          + message;
    }
    if (root instanceof UnknownHostException) {
      return "unknown host " + message;
    }
    if (root instanceof ConnectException || root instanceof NoRouteToHostException) {
      // The JDK's message is often just "Connection refused": do not say it twice. The URL tried is
      // added by the caller, so the line still names where.
      return message.equalsIgnoreCase("connection refused") || root.getMessage() == null ? "connection refused"
          : "connection refused: " + message;
    }
    if (root instanceof SocketTimeoutException) {
      return "timed out: " + message;
    }
    if (root instanceof EOFException) {
      return "the connection was reset or closed by the peer: " + message;
    }
    if (isJson(root)) {
      return "invalid JSON from the API server: " + message;
    }
    String outer = firstLine(error.getMessage());
    return root == error ? root.getClass().getSimpleName() + ": " + outer
        : outer + " caused by " + root.getClass().getSimpleName() + ": " + message;
  }

  private static String firstLine(String message) {
    return message == null ? "(no message)" : message.lines().findFirst().orElse(message);
  }
}
