package io.kdiscovery.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The one rule for which endpoints of a Service port may get new requests: every balancer and
 * integration asks it, none restates it. It is kube-proxy's (kubernetes {@code pkg/proxy/topology.go},
 * {@code CategorizeEndpoints}), so a client of kdiscovery reaches the same pods as a client of the
 * Service's virtual IP.
 *
 * <p>Stateless and thread-safe. The rule, on conditions whose unset fields {@link
 * EndpointConditions#of(Boolean, Boolean, Boolean)} has already defaulted:
 * <ol>
 *   <li>an endpoint is <em>in service</em> when it is {@code ready} (kube-proxy's {@code IsReady});
 *   <li>when no endpoint is in service, the endpoints that are serving while terminating are used
 *       instead (kube-proxy's terminating fallback, so a Service whose pods are all being rolled keeps
 *       answering);
 *   <li>nothing else is used.
 * </ol>
 *
 * <p>Without {@code publishNotReadyAddresses}, {@code ready} already means serving and not
 * terminating (the EndpointSlice controller never writes {@code ready: true} on a terminating
 * endpoint). A Service that sets {@code publishNotReadyAddresses} asks for its pods to be reached
 * whatever their readiness (a StatefulSet's peers finding each other while they start): the
 * controller then writes {@code ready: true} for every pod, also one that is starting ({@code serving:
 * false}) or shutting down ({@code terminating: true}), and kube-proxy routes to all of them. So does
 * kdiscovery: the Service's own setting decides, one rule serves both cases and needs no flag of ours.
 */
public final class Usability {

  private Usability() {}

  /** {@code ready}: an endpoint that takes new requests, as kube-proxy routes to it. */
  public static boolean inService(EndpointConditions c) {
    return c.ready();
  }

  /**
   * Not ready but serving while terminating: used only when no endpoint is {@link #inService in
   * service}. (A ready endpoint that is terminating is in service already.)
   */
  public static boolean fallback(EndpointConditions c) {
    return !c.ready() && c.serving() && c.terminating();
  }

  /**
   * The endpoints that may get new requests, in their given order: those in service, or when there
   * is none, those serving while terminating; empty when neither exists.
   */
  public static List<Endpoint> usable(List<Endpoint> endpoints) {
    List<Endpoint> inService = new ArrayList<>(endpoints.size());
    List<Endpoint> terminating = null;
    for (Endpoint e : endpoints) {
      EndpointConditions c = e.conditions();
      if (inService(c)) {
        inService.add(e);
      } else if (inService.isEmpty() && fallback(c)) {
        if (terminating == null) {
          terminating = new ArrayList<>();
        }
        terminating.add(e);
      }
    }
    if (!inService.isEmpty()) {
      return List.copyOf(inService);
    }
    return terminating == null ? List.of() : List.copyOf(terminating);
  }
}
