package io.kdiscovery;

/**
 * What the Kubernetes source watches to serve the Services an application opens.
 *
 * <ul>
 *   <li>{@link #SERVICE}: per Service, a watch of that Service object and one of its EndpointSlices
 *       (label-selected), shared by every port and handle of the Service. Needs read access to those
 *       objects only, and costs the API server two watches per Service.
 *   <li>{@link #NAMESPACE}: per namespace, one watch of all its Services and one of all its
 *       EndpointSlices, indexed by Service: two watches however many Services are opened. Needs
 *       {@code list, watch} on Services and EndpointSlices of the namespace, and holds all of them
 *       in memory.
 *   <li>{@link #CLUSTER}: the same for the whole cluster (two watches in all), for applications that
 *       call Services in many namespaces; needs cluster-wide read access.
 * </ul>
 * See {@code docs/watch.md} for the measured trade-off.
 */
public enum WatchScope {
  SERVICE,
  NAMESPACE,
  CLUSTER
}
