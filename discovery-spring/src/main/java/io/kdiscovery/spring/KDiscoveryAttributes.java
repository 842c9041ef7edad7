package io.kdiscovery.spring;

/**
 * Names of request attributes kdiscovery's load balancer reads.
 *
 * <pre>{@code
 * restClient.get().uri("http://web/cart")
 *     .attribute(KDiscoveryAttributes.CLIENT_IP, incoming.getRemoteAddr())
 *     .retrieve().body(String.class);
 * }</pre>
 */
public final class KDiscoveryAttributes {

  /**
   * The IP of the client a request is made for, the affinity key when
   * {@code kdiscovery.affinity.client-ip=true}; without it the {@code X-Forwarded-For} entry that the
   * last trusted proxy appended is used ({@code kdiscovery.affinity.trusted-hops}, the right-most by
   * default), never an entry the client could have written.
   */
  public static final String CLIENT_IP = "io.kdiscovery.client-ip";

  private KDiscoveryAttributes() {}
}
