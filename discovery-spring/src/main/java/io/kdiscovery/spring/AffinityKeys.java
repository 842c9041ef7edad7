package io.kdiscovery.spring;

import io.kdiscovery.balancing.PickContext;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.RequestData;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;

/**
 * Reads a request's affinity key: the configured header, else the configured cookie, else (when
 * client-IP affinity is on) the {@link KDiscoveryAttributes#CLIENT_IP} attribute or the first
 * {@code X-Forwarded-For} address. Immutable and thread-safe.
 */
final class AffinityKeys {

  private final String header;
  private final String cookie;
  private final boolean clientIp;

  AffinityKeys(KDiscoveryProperties.Affinity affinity) {
    this.header = blankToNull(affinity.getHeader());
    this.cookie = blankToNull(affinity.getCookie());
    this.clientIp = affinity.isClientIp();
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
      String forwarded = data.getHeaders() == null ? null : data.getHeaders().getFirst("X-Forwarded-For");
      if (forwarded != null && !forwarded.isBlank()) {
        int comma = forwarded.indexOf(',');
        return (comma < 0 ? forwarded : forwarded.substring(0, comma)).trim();
      }
    }
    return null;
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
