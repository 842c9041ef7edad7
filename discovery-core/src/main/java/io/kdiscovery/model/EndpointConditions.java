package io.kdiscovery.model;

/**
 * The state of one endpoint, as {@code discovery.k8s.io/v1} {@code EndpointConditions} define it.
 *
 * <p>Immutable. {@link #of(Boolean, Boolean, Boolean)} applies the API's rules for unset fields:
 * {@code ready} unset means ready, {@code serving} unset takes the value of {@code ready}, and
 * {@code terminating} unset means not terminating. {@code ready} may be true on a terminating endpoint
 * when its Service sets {@code publishNotReadyAddresses}.
 *
 * @param ready the endpoint should receive new traffic
 * @param serving the endpoint can answer requests, even while terminating
 * @param terminating the pod is shutting down
 */
public record EndpointConditions(boolean ready, boolean serving, boolean terminating) {

  /** Ready, serving and not terminating: what an endpoint with no conditions, such as one from DNS, is. */
  public static final EndpointConditions READY = new EndpointConditions(true, true, false);

  /** The eight combinations, indexed by ready*4 + serving*2 + terminating: endpoints share them. */
  private static final EndpointConditions[] SHARED = new EndpointConditions[8];

  static {
    for (int i = 0; i < 8; i++) {
      SHARED[i] = i == 6 ? READY : new EndpointConditions((i & 4) != 0, (i & 2) != 0, (i & 1) != 0);
    }
  }

  /**
   * Applies the API's defaults to possibly unset fields, as received from the API server. Returns a
   * shared instance (there are eight combinations; a Service of 10 000 endpoints need not hold 10 000).
   */
  public static EndpointConditions of(Boolean ready, Boolean serving, Boolean terminating) {
    boolean isReady = ready == null || ready;
    boolean isServing = serving == null ? isReady : serving;
    boolean isTerminating = terminating != null && terminating;
    return SHARED[(isReady ? 4 : 0) + (isServing ? 2 : 0) + (isTerminating ? 1 : 0)];
  }

  /** Serving while terminating: what kube-proxy falls back to when no endpoint is ready. */
  public boolean servingTerminating() {
    return serving && terminating;
  }
}
