package io.kdiscovery.source.dns;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.source.SourceState;
import java.util.List;

/**
 * The outcome of one lookup of a Service port: addresses, a name that does not exist, a name without
 * records, or a failure. Immutable.
 *
 * @param kind what the DNS server said
 * @param endpoints the endpoints, distinct and sorted; empty unless {@link Kind#FOUND}
 * @param ttlSeconds how long the answer may be used (its shortest TTL, or a negative answer's SOA
 *     TTL), or null when the answer did not say
 * @param skipped one line per record that was left out (an invalid address, an SRV record without a
 *     target), for the log
 * @param failure why the lookup failed; null unless {@link Kind#FAILED}
 */
record LookupResult(Kind kind, List<Endpoint> endpoints, Long ttlSeconds, List<String> skipped,
    Throwable failure) {

  enum Kind {
    /** The name exists and has records (possibly none usable). */
    FOUND,
    /** NOERROR with an empty answer (NODATA): the name exists without records of the type asked. */
    NO_DATA,
    /** NXDOMAIN: the name does not exist. */
    NX_DOMAIN,
    /** No usable answer: SERVFAIL, REFUSED, a timeout, a malformed or truncated answer. */
    FAILED
  }

  LookupResult {
    endpoints = List.copyOf(endpoints);
    skipped = List.copyOf(skipped);
  }

  static LookupResult found(List<Endpoint> endpoints, Long ttlSeconds, List<String> skipped) {
    return new LookupResult(Kind.FOUND, endpoints, ttlSeconds, skipped, null);
  }

  static LookupResult noData(Long ttlSeconds) {
    return new LookupResult(Kind.NO_DATA, List.of(), ttlSeconds, List.of(), null);
  }

  static LookupResult nxDomain(Long ttlSeconds) {
    return new LookupResult(Kind.NX_DOMAIN, List.of(), ttlSeconds, List.of(), null);
  }

  static LookupResult failed(Throwable failure) {
    return new LookupResult(Kind.FAILED, List.of(), null, List.of(), failure);
  }

  /** The state a successful lookup stands for; DNS knows nothing of the Service's settings. */
  SourceState toState() {
    if (kind == Kind.FAILED) {
      throw new IllegalStateException("a failed lookup has no state");
    }
    return kind == Kind.NX_DOMAIN
        ? SourceState.notFound(ServiceInfo.UNKNOWN)
        : new SourceState(true, ServiceInfo.UNKNOWN, endpoints);
  }
}
