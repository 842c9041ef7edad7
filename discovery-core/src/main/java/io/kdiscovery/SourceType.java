package io.kdiscovery;

/** Where {@link KDiscovery} takes endpoints from. */
public enum SourceType {

  /** The Kubernetes API: EndpointSlices and the Service object, watched. Needs read access (see README). */
  KUBERNETES,

  /**
   * Cluster DNS: a headless Service's A/AAAA or SRV records, refreshed on their TTL. Needs no RBAC;
   * every address counts as ready and the Service's settings are unknown.
   */
  DNS,

  /**
   * The Kubernetes API when the application may list EndpointSlices in the namespace of the first
   * Service it opens, otherwise DNS. Decided once, on first use, and logged.
   */
  AUTO
}
