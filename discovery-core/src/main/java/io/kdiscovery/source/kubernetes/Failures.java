package io.kdiscovery.source.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.EOFException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * One line that says why a call to the API server failed: its root cause, not fabric8's outer
 * "Operation: [list] ... failed." wrapper. Stateless.
 */
final class Failures {

  private Failures() {}

  static String describe(Throwable error) {
    List<Throwable> chain = new ArrayList<>();
    for (Throwable t = error; t != null && !chain.contains(t); t = t.getCause()) {
      chain.add(t);
    }
    for (Throwable t : chain) {
      if (t instanceof KubernetesClientException k && k.getCode() > 0) {
        String message = k.getStatus() != null && k.getStatus().getMessage() != null
            ? k.getStatus().getMessage() : firstLine(k.getMessage());
        return "HTTP " + k.getCode() + (k.getCode() == 403 ? " Forbidden" : k.getCode() == 401
            ? " Unauthorized" : k.getCode() == 410 ? " Gone" : "") + ": " + message;
      }
    }
    Throwable root = chain.get(chain.size() - 1);
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
      return "the connection was closed: " + message;
    }
    if (root.getClass().getName().contains(".jackson.")) { // Jackson 2 or 3, whichever fabric8 brings
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
