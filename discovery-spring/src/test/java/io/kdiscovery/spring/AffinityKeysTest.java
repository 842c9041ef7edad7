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
        .affinityKey()).isEqualTo("203.0.113.7");
    assertThat(keys.contextOf(request(headers("X-Forwarded-For", "203.0.113.7"), Map.of(),
        Map.of(KDiscoveryAttributes.CLIENT_IP, "198.51.100.2"))).affinityKey()).isEqualTo("198.51.100.2");
    assertThat(keys.contextOf(request(new HttpHeaders(), Map.of(), Map.of()))).isSameAs(PickContext.none());
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
