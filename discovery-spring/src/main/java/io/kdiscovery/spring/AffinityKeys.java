package io.kdiscovery.spring;

import io.kdiscovery.balancing.PickContext;
import java.util.List;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.RequestData;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;

/**
 * Reads a request's affinity key: the configured header, else the configured cookie, else (when
 * client-IP affinity is on) the {@link KDiscoveryAttributes#CLIENT_IP} attribute or the
 * {@code X-Forwarded-For} address of the last trusted proxy. Immutable and thread-safe.
 *
 * <p>Only the entries that trusted proxies appended to {@code X-Forwarded-For} are believed, as Envoy's
 * {@code xff_num_trusted_hops} does: with {@code trusted-hops} N, the client IP is the N-th entry from
 * the right (by default the right-most, the one the last proxy appended); the entries to its left are
 * whatever the client wrote, so a client could otherwise choose its pod, or send a new key with every
 * request. N = 0, or a header with fewer than N entries, gives no client IP from the header.
 */
final class AffinityKeys {

  private final String header;
  private final String cookie;
  private final boolean clientIp;
  private final int trustedHops;

  AffinityKeys(KDiscoveryProperties.Affinity affinity) {
    this.header = blankToNull(affinity.getHeader());
    this.cookie = blankToNull(affinity.getCookie());
    this.clientIp = affinity.isClientIp();
    this.trustedHops = affinity.getTrustedHops();
  }

  /** The pick context of {@code request}: {@link PickContext#none()} when it carries no key. */
  PickContext contextOf(Request<?> request) {
    if ((header == null && cookie == null && !clientIp) || request == null
        || !(request.getContext() instanceof RequestDataContext context)
        || context.getClientRequest() == null) {
      return PickContext.none();
    }
    String key = keyOf(context.getClientRequest());
    return key == null ? PickContext.none() : PickContext.forKey(key);
  }

  private String keyOf(RequestData data) {
    if (header != null && data.getHeaders() != null) {
      String value = data.getHeaders().getFirst(header);
      if (value != null && !value.isEmpty()) {
        return value;
      }
    }
    if (cookie != null && data.getCookies() != null) {
      String value = data.getCookies().getFirst(cookie);
      if (value != null && !value.isEmpty()) {
        return value;
      }
    }
    if (clientIp) {
      Object attribute = data.getAttributes() == null ? null : data.getAttributes().get(KDiscoveryAttributes.CLIENT_IP);
      if (attribute != null) {
        return attribute.toString();
      }
      if (trustedHops > 0 && data.getHeaders() != null) {
        return trustedForwardedFor(data.getHeaders().get(X_FORWARDED_FOR), trustedHops);
      }
    }
    return null;
  }

  private static final String X_FORWARDED_FOR = "X-Forwarded-For";

  /** Longer than any IP address written out (an IPv6 address with a zone); anything longer is no address. */
  private static final int MAX_ADDRESS_LENGTH = 64;

  /**
   * The {@code hops}-th entry from the right of the header, whose lines (a proxy may add a line of its
   * own instead of appending to the last) count as one list; null when there are fewer entries or the
   * entry is empty or too long to be an address. Reads from the right, so a long header costs nothing
   * for the entries a client wrote.
   */
  static String trustedForwardedFor(List<String> lines, int hops) {
    if (lines == null) {
      return null;
    }
    int remaining = hops;
    for (int l = lines.size() - 1; l >= 0; l--) {
      String line = lines.get(l);
      int end = line.length();
      while (end >= 0) {
        int comma = line.lastIndexOf(',', end - 1);
        if (--remaining == 0) {
          String entry = line.substring(comma + 1, end).trim();
          return entry.isEmpty() || entry.length() > MAX_ADDRESS_LENGTH ? null : entry;
        }
        if (comma < 0) {
          break;
        }
        end = comma;
      }
    }
    return null;
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
