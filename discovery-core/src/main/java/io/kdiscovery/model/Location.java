package io.kdiscovery.model;

/**
 * Where the application itself runs: its zone ({@code topology.kubernetes.io/zone} of its node) and
 * its node, as far as they are known. Picks prefer endpoints of the same zone or node where a
 * Service asks for it ({@code trafficDistribution}, topology hints).
 *
 * <p>Immutable. Either part may be null, meaning unknown; {@link #UNKNOWN} knows neither.
 *
 * @param zone the zone, or null when unknown
 * @param node the node's name, or null when unknown
 */
public record Location(String zone, String node) {

  /** Neither zone nor node known: no topology preference. */
  public static final Location UNKNOWN = new Location(null, null);

  public Location {
    if (zone != null && zone.isBlank()) {
      throw new IllegalArgumentException("zone must not be blank; pass null when unknown");
    }
    if (node != null && node.isBlank()) {
      throw new IllegalArgumentException("node must not be blank; pass null when unknown");
    }
  }

  @Override
  public String toString() {
    return "zone " + (zone == null ? "unknown" : zone) + ", node " + (node == null ? "unknown" : node);
  }
}
