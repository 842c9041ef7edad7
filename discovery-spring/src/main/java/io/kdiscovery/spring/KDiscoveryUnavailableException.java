package io.kdiscovery.spring;

/**
 * kdiscovery could not answer a lookup because its source has not delivered a first complete state
 * within {@code kdiscovery.initial-wait-timeout}: the Kubernetes API server is unreachable, refuses
 * the application's credentials, or has not answered yet.
 *
 * <p>The message names what was looked up, the API server's URL and the root cause (for example
 * {@code ConnectException: Connection refused}); {@link #getCause()} is the last error itself, when
 * there was one. Lookups fail with it at once, without waiting again, until the source answers.
 */
public final class KDiscoveryUnavailableException extends IllegalStateException {

  private final String apiServerUrl;

  KDiscoveryUnavailableException(String message, String apiServerUrl, Throwable cause) {
    super(message, cause);
    this.apiServerUrl = apiServerUrl;
  }

  /** The URL of the API server kdiscovery talks to (or the source's name when it is not the API). */
  public String apiServerUrl() {
    return apiServerUrl;
  }
}
