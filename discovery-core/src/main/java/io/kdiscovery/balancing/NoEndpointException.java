package io.kdiscovery.balancing;

import io.kdiscovery.model.ServiceKey;

/**
 * Thrown by {@link LoadBalancer#pick} when there is no endpoint to send a request to; the message names
 * the Service and why, and {@link #reason()} says it in a form code can switch on.
 *
 * <p>Unchecked: it means the Service cannot be reached right now, which most callers treat like an
 * I/O failure of the request.
 */
public final class NoEndpointException extends RuntimeException {

  private final transient ServiceKey service;
  private final Reason reason;

  NoEndpointException(ServiceKey service, Reason reason, String detail) {
    super((service == null ? "service" : service.toString()) + ": " + detail);
    this.service = service;
    this.reason = reason;
  }

  /** The Service port, or null when the balancer was built without one and has seen no snapshot. */
  public ServiceKey service() {
    return service;
  }

  public Reason reason() {
    return reason;
  }

  /** Why nothing could be picked. */
  public enum Reason {
    /** The balancer has not received its first snapshot yet. */
    NO_SNAPSHOT_YET,
    /** The Service does not exist (or its DNS name does not resolve). */
    SERVICE_NOT_FOUND,
    /** The Service exists but no endpoint is ready, nor serving while terminating. */
    NO_ENDPOINTS,
    /** Every usable endpoint is ejected by outlier detection and panic mode is off. */
    ALL_EJECTED
  }
}
