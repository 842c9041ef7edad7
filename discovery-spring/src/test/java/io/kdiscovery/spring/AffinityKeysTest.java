package io.kdiscovery.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.kdiscovery.balancing.PickContext;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.cloud.client.loadbalancer.DefaultRequest;
import org.springframework.cloud.client.loadbalancer.RequestData;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.util.LinkedMultiValueMap;

class AffinityKeysTest {

  @Test
  void withoutAnAffinitySettingNoRequestHasAKey() {
    AffinityKeys keys = new AffinityKeys(new KDiscoveryProperties.Affinity());

    assertThat(keys.contextOf(request(headers("X-User", "alice"), Map.of(), Map.of()))).isSameAs(PickContext.none());
  }

  @Test
  void theHeaderComesFirstThenTheCookieThenTheClientIp() {
    KDiscoveryProperties.Affinity affinity = new KDiscoveryProperties.Affinity();
    affinity.setHeader("X-User");
    affinity.setCookie("SESSION");
    affinity.setClientIp(true);
    AffinityKeys keys = new AffinityKeys(affinity);
    HttpHeaders both = headers("X-User", "alice");
    both.add("X-Forwarded-For", "203.0.113.7, 10.0.0.1");

    assertThat(keys.contextOf(request(both, Map.of("SESSION", "s-1"), Map.of())).affinityKey()).isEqualTo("alice");
    assertThat(keys.contextOf(request(new HttpHeaders(), Map.of("SESSION", "s-1"), Map.of())).affinityKey())
        .isEqualTo("s-1");
    assertThat(keys.contextOf(request(headers("X-Forwarded-For", "203.0.113.7, 10.0.0.1"), Map.of(), Map.of()))
        .affinityKey()).isEqualTo("10.0.0.1");
    assertThat(keys.contextOf(request(headers("X-Forwarded-For", "203.0.113.7"), Map.of(),
        Map.of(KDiscoveryAttributes.CLIENT_IP, "198.51.100.2"))).affinityKey()).isEqualTo("198.51.100.2");
    assertThat(keys.contextOf(request(new HttpHeaders(), Map.of(), Map.of()))).isSameAs(PickContext.none());
  }

  @Test
  void theClientIpIsTheForwardedForEntryOfTheLastTrustedProxyNeverOneTheClientWrote() {
    KDiscoveryProperties.Affinity affinity = new KDiscoveryProperties.Affinity();
    affinity.setClientIp(true);
    AffinityKeys rightMost = new AffinityKeys(affinity);
    affinity.setTrustedHops(2);
    AffinityKeys twoHops = new AffinityKeys(affinity);
    affinity.setTrustedHops(0);
    AffinityKeys ignoring = new AffinityKeys(affinity);
    HttpHeaders spoofed = headers("X-Forwarded-For", "6.6.6.6, 203.0.113.7 , 10.0.0.1");

    assertThat(rightMost.contextOf(request(spoofed, Map.of(), Map.of())).affinityKey()).isEqualTo("10.0.0.1");
    assertThat(twoHops.contextOf(request(spoofed, Map.of(), Map.of())).affinityKey()).isEqualTo("203.0.113.7");
    assertThat(ignoring.contextOf(request(spoofed, Map.of(), Map.of()))).isSameAs(PickContext.none());
    assertThat(ignoring.contextOf(request(spoofed, Map.of(), Map.of(KDiscoveryAttributes.CLIENT_IP, "198.51.100.2")))
        .affinityKey()).isEqualTo("198.51.100.2");
    // a proxy that adds a line of its own instead of appending: the lines are one list
    HttpHeaders lines = headers("X-Forwarded-For", "6.6.6.6, 203.0.113.7");
    lines.add("X-Forwarded-For", "10.0.0.1");
    assertThat(rightMost.contextOf(request(lines, Map.of(), Map.of())).affinityKey()).isEqualTo("10.0.0.1");
    assertThat(twoHops.contextOf(request(lines, Map.of(), Map.of())).affinityKey()).isEqualTo("203.0.113.7");
    // fewer entries than trusted hops, an empty entry, or one too long to be an address: no client IP
    assertThat(twoHops.contextOf(request(headers("X-Forwarded-For", "10.0.0.1"), Map.of(), Map.of())))
        .isSameAs(PickContext.none());
    assertThat(rightMost.contextOf(request(headers("X-Forwarded-For", "10.0.0.1, "), Map.of(), Map.of())))
        .isSameAs(PickContext.none());
    assertThat(rightMost.contextOf(request(headers("X-Forwarded-For", "x".repeat(8192)), Map.of(), Map.of())))
        .isSameAs(PickContext.none());
  }

  @Test
  void aNegativeNumberOfTrustedHopsIsRefused() {
    KDiscoveryProperties.Affinity affinity = new KDiscoveryProperties.Affinity();
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> affinity.setTrustedHops(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trusted-hops");
  }

  @Test
  void aRequestWithoutClientDataHasNoKey() {
    KDiscoveryProperties.Affinity affinity = new KDiscoveryProperties.Affinity();
    affinity.setHeader("X-User");

    assertThat(new AffinityKeys(affinity).contextOf(new DefaultRequest<>())).isSameAs(PickContext.none());
  }

  private static HttpHeaders headers(String name, String value) {
    HttpHeaders headers = new HttpHeaders();
    headers.add(name, value);
    return headers;
  }

  private static DefaultRequest<RequestDataContext> request(HttpHeaders headers, Map<String, String> cookies,
      Map<String, Object> attributes) {
    LinkedMultiValueMap<String, String> cookieMap = new LinkedMultiValueMap<>();
    cookies.forEach(cookieMap::add);
    RequestData data = new RequestData(HttpMethod.GET, URI.create("http://web/"), headers, cookieMap,
        new HashMap<>(attributes));
    return new DefaultRequest<>(new RequestDataContext(data));
  }
}
