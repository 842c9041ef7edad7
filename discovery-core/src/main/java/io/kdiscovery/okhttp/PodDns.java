package io.kdiscovery.okhttp;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import okhttp3.Dns;

/**
 * The {@link Dns} of one call of {@link KDiscoveryInterceptor}: the Service's host name resolves to the
 * one pod picked for the call; any other name (a redirect elsewhere) goes to the client's own Dns.
 *
 * <p>A value: OkHttp's connection pool matches connections by {@code Address}, whose Dns is part of it,
 * so a pooled connection is reused only for a call to the same host name on the same pod and port. That
 * connection was opened with that host name as SNI and checked by OkHttp against it (hostname verifier
 * and certificate pins) — no connection checked for one Service carries another Service's call.
 *
 * <p>Immutable and thread-safe.
 */
record PodDns(String host, InetAddress pod, int podPort, Dns fallback) implements Dns {

  @Override
  public List<InetAddress> lookup(String hostname) throws UnknownHostException {
    return host.equalsIgnoreCase(hostname) ? List.of(pod) : fallback.lookup(hostname);
  }
}
