package io.kdiscovery.spring;

/**
 * Where the Spring load balancer reports each pick's outcome, for metrics. Implementations must be
 * thread-safe and must not block; {@link #NONE} records nothing (no Micrometer on the classpath).
 */
interface PickRecorder {

  PickRecorder NONE = (serviceId, outcome, latencyNanos) -> {};

  /**
   * The service id recorded for a request whose id names no Service: one fixed tag value, since the
   * id came from the request (a URL's host) and would otherwise make a meter per name sent.
   */
  String UNKNOWN_SERVICE = "unknown";

  /**
   * @param serviceId a Service's id (lower case), or {@link #UNKNOWN_SERVICE}; never a value taken
   *     from a request for a name that is no Service
   * @param outcome {@code success}, {@code failure}, {@code connect_failure}, {@code cancelled} or
   *     {@code no_endpoint}
   * @param latencyNanos how long the request took, or a negative number when it was not sent
   *     ({@code cancelled}, {@code no_endpoint})
   */
  void record(String serviceId, String outcome, long latencyNanos);
}
