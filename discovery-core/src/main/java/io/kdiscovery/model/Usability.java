package io.kdiscovery.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The one rule for which endpoints of a Service port may get new requests: every balancer and
 * integration asks it, none restates it.
 *
 * <p>Stateless and thread-safe. The rule, on conditions whose unset fields {@link
 * EndpointConditions#of(Boolean, Boolean, Boolean)} has already defaulted:
 * <ol>
 *   <li>an endpoint is <em>in service</em> when it is ready, serving and not terminating;
 *   <li>when no endpoint is in service, the endpoints that are serving while terminating are used
 *       instead (kube-proxy's terminating fallback, so a Service whose pods are all being rolled keeps
 *       answering);
 *   <li>nothing else is used.
 * </ol>
 *
 * <p>Why {@code serving} and {@code terminating} as well as {@code ready}: when a Service sets
 * {@code publishNotReadyAddresses}, the EndpointSlice controller publishes {@code ready: true} for every
 * pod, also one that is starting ({@code serving: false}) or shutting down ({@code terminating: true});
 * only {@code serving} and {@code terminating} still tell the truth. Without that flag {@code ready}
 * already implies both (the API says {@code ready} is never true on a terminating endpoint), so one
 * rule serves both cases and needs no flag.
 */
public final class Usability {

  private Usability() {}

  /** Ready, serving and not terminating: an endpoint that takes new requests. */
  public static boolean inService(EndpointConditions c) {
    return c.ready() && c.serving() && !c.terminating();
  }

  /** Serving while terminating: used only when no endpoint is {@link #inService in service}. */
  public static boolean fallback(EndpointConditions c) {
    return c.serving() && c.terminating();
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
