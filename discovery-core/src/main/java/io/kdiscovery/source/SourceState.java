package io.kdiscovery.source;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What a source knows of one Service port at one moment: a complete state, not a change.
 *
 * @param serviceFound false when the Service (or DNS name) does not exist
 * @param service the Service's settings, {@link ServiceInfo#UNKNOWN} when the source cannot read them
 * @param endpoints every endpoint, ready or not, distinct by address and port
 * @param changeTracked true when the source tracks changes itself and hands over a new {@code endpoints}
 *     list instance only when the endpoints changed (the same instance otherwise), so the table need not
 *     compare whole lists; false makes the table compare them
 * @param changeTriggeredAt when the cluster change that this state reflects was triggered (the
 *     EndpointSlice controller's {@code endpoints.kubernetes.io/last-change-trigger-time}), or null
 *     when unknown; see {@link io.kdiscovery.model.ServiceSnapshot#changeTriggeredAt()}
 */
public record SourceState(boolean serviceFound, ServiceInfo service, List<Endpoint> endpoints,
    boolean changeTracked, Instant changeTriggeredAt) {

  public SourceState {
    Objects.requireNonNull(service, "service");
    endpoints = List.copyOf(endpoints); // the same instance when already an unmodifiable copy
  }

  /** A state with no trigger time. */
  public SourceState(boolean serviceFound, ServiceInfo service, List<Endpoint> endpoints, boolean changeTracked) {
    this(serviceFound, service, endpoints, changeTracked, null);
  }

  /** A state whose endpoints the table compares with the previous ones. */
  public SourceState(boolean serviceFound, ServiceInfo service, List<Endpoint> endpoints) {
    this(serviceFound, service, endpoints, false);
  }

  /** The state of a Service that does not exist. */
  public static SourceState notFound(ServiceInfo service) {
    return new SourceState(false, service, List.of());
  }
}
