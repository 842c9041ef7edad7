package io.kdiscovery.model;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * The one rule for which endpoint addresses kdiscovery will route to; every source (EndpointSlices,
 * {@code v1/Endpoints}, DNS A/AAAA and SRV answers) asks it and skips, with one log line, what it
 * refuses. An endpoint address comes from whoever may write an EndpointSlice or a DNS record, and a
 * request sent to it carries the application's headers and credentials: an address kube-proxy's DNAT
 * could never reach a pod at must not be picked.
 *
 * <ul>
 *   <li>always refused: link-local addresses ({@code 169.254.0.0/16}, where the cloud metadata
 *       service answers at {@code 169.254.169.254}, and {@code fe80::/10}), the IPv6 address of EC2's
 *       metadata service ({@code fd00:ec2::254}), the unspecified address ({@code 0.0.0.0},
 *       {@code ::}), multicast and the IPv4 broadcast address;
 *   <li>loopback ({@code 127.0.0.0/8}, {@code ::1}) reaches the application's own machine, not a pod:
 *       refused unless the source itself is local ({@link Loopback#AUTO}, the default: the API
 *       server's URL names a loopback host, or every DNS server is a loopback address, as in a
 *       development cluster, the demo and the tests), or {@link Loopback#ALLOW} says so.
 * </ul>
 *
 * <p>Immutable and thread-safe; never performs a DNS lookup.
 */
public final class RoutableAddresses {

  /** Whether endpoints at loopback addresses are routed to; see {@link RoutableAddresses}. */
  public enum Loopback {
    /** Allowed only when the source itself is local (the API server or DNS server on a loopback host). */
    AUTO,
    /** Always allowed (a test or development set-up whose source is not on a loopback host). */
    ALLOW,
    /** Never allowed, even with a local source. */
    DENY
  }

  /** 169.254.169.254: AWS, GCP, Azure and others. */
  private static final byte[] METADATA_V4 = {(byte) 169, (byte) 254, (byte) 169, (byte) 254};
  /** fd00:ec2::254: EC2's metadata service on IPv6 (a unique local address, so not caught as link-local). */
  private static final byte[] METADATA_V6 = {(byte) 0xfd, 0, 0x0e, (byte) 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};

  private static final RoutableAddresses WITH_LOOPBACK = new RoutableAddresses(true);
  private static final RoutableAddresses WITHOUT_LOOPBACK = new RoutableAddresses(false);

  private final boolean loopbackAllowed;

  private RoutableAddresses(boolean loopbackAllowed) {
    this.loopbackAllowed = loopbackAllowed;
  }

  /**
   * The rule for a source.
   *
   * @param sourceIsLocal whether the source itself is on a loopback host (see {@link #isLoopbackHost})
   */
  public static RoutableAddresses of(Loopback loopback, boolean sourceIsLocal) {
    return switch (Objects.requireNonNull(loopback, "loopback")) {
      case ALLOW -> WITH_LOOPBACK;
      case DENY -> WITHOUT_LOOPBACK;
      case AUTO -> sourceIsLocal ? WITH_LOOPBACK : WITHOUT_LOOPBACK;
    };
  }

  /**
   * Whether {@code host} (a URL's host: a name, an IP literal, or an IPv6 literal in brackets) is a
   * loopback host: {@code localhost} or a loopback address. Never resolves a name.
   */
  public static boolean isLoopbackHost(String host) {
    if (host == null || host.isEmpty()) {
      return false;
    }
    String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    String lower = bare.toLowerCase(Locale.ROOT);
    if (lower.equals("localhost") || lower.equals("localhost.")) {
      return true;
    }
    InetAddress address = IpAddresses.parse(bare);
    return address != null && address.isLoopbackAddress();
  }

  /** Whether loopback addresses are routed to under this rule. */
  public boolean loopbackAllowed() {
    return loopbackAllowed;
  }

  /** Why kdiscovery will not route to {@code address} (an IP literal), or null when it will. */
  public String refusal(String address) {
    InetAddress parsed = IpAddresses.parse(address);
    return parsed == null ? "not an IP address" : refusal(parsed);
  }

  /** Why kdiscovery will not route to {@code address}, or null when it will. */
  public String refusal(InetAddress address) {
    byte[] bytes = address.getAddress();
    if (Arrays.equals(bytes, METADATA_V4) || Arrays.equals(bytes, METADATA_V6)) {
      return "the cloud metadata service's address (link-local), which no pod has and kube-proxy never routes to";
    }
    if (address.isLinkLocalAddress()) {
      return "a link-local address (169.254.0.0/16, fe80::/10), which no pod has and kube-proxy never routes to";
    }
    if (address.isAnyLocalAddress()) {
      return "the unspecified address, which names no host";
    }
    if (address.isMulticastAddress() || isBroadcast(address)) {
      return "not a unicast address";
    }
    if (address.isLoopbackAddress() && !loopbackAllowed) {
      return "a loopback address (127.0.0.0/8, ::1), which reaches this machine rather than a pod; allowed"
          + " only when the source itself is local, or with loopbackEndpoints(ALLOW)";
    }
    return null;
  }

  private static boolean isBroadcast(InetAddress address) {
    if (!(address instanceof Inet4Address)) {
      return false;
    }
    byte[] b = address.getAddress();
    return b[0] == -1 && b[1] == -1 && b[2] == -1 && b[3] == -1;
  }

  @Override
  public String toString() {
    return "RoutableAddresses[loopback " + (loopbackAllowed ? "allowed" : "refused") + "]";
  }
}
