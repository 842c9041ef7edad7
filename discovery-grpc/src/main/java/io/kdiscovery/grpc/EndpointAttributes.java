package io.kdiscovery.grpc;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;

/**
 * The keys under which the {@code kubernetes} name resolver describes each pod in the
 * {@link EquivalentAddressGroup#getAttributes() attributes} of its address group, for load-balancing
 * policies (and interceptors) that care where a pod runs. Constants only, immutable and thread-safe.
 *
 * <p>A key is absent from an address group when the EndpointSlice did not
 * say (a slice without zones, an endpoint without a {@code targetRef}).
 */
public final class EndpointAttributes {

  /** The zone of the pod's node ({@code topology.kubernetes.io/zone}). */
  public static final Attributes.Key<String> ZONE = Attributes.Key.create("io.kdiscovery.zone");

  /** The node the pod runs on. */
  public static final Attributes.Key<String> NODE = Attributes.Key.create("io.kdiscovery.node");

  /** The pod's hostname (set for StatefulSet pods and pods with {@code hostname}). */
  public static final Attributes.Key<String> HOSTNAME = Attributes.Key.create("io.kdiscovery.hostname");

  /** The pod's name, from the endpoint's {@code targetRef}. */
  public static final Attributes.Key<String> POD_NAME = Attributes.Key.create("io.kdiscovery.pod-name");

  private EndpointAttributes() {}
}
