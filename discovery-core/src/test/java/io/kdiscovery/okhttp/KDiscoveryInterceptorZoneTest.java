package io.kdiscovery.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * The OkHttp interceptor keeps a {@code PreferSameZone} Service's calls in the zone its KDiscovery
 * detected (the node from {@code NODE_NAME}, injected; its zone label from the mock API server), with
 * no zone given to the interceptor or its balancer.
 */
class KDiscoveryInterceptorZoneTest {

  @Test
  void aPreferSameZoneServiceIsCalledInTheDetectedZoneWithNoSetting() throws IOException {
    try (ApiServer api = new ApiServer(); HttpPods pods = new HttpPods(81, null, "pod-a", "pod-b", "pod-c", "pod-d")) {
      api.admin().resource(new NodeBuilder().withNewMetadata().withName("node-b")
          .addToLabels("topology.kubernetes.io/zone", "zone-b").endMetadata().build()).create();
      api.apply(new ServiceBuilder(Hostnames.service()).editSpec().withTrafficDistribution("PreferSameZone").endSpec()
          .build());
      EndpointSlice slice = Hostnames.slice("hostnames-0").port("default", pods.port)
          .ready("pod-a", "127.0.0.81").ready("pod-b", "127.0.0.82").ready("pod-c", "127.0.0.83")
          .ready("pod-d", "127.0.0.84").build();
      for (int i = 0; i < 4; i++) {
        slice.getEndpoints().get(i).setZone(i < 2 ? "zone-a" : "zone-b");
      }
      api.apply(slice);
      try (KDiscovery discovery = KDiscovery.builder().kubernetesClient(api.client())
               .environment(Map.of("NODE_NAME", "node-b")).locationWait(Duration.ofSeconds(20)).build();
           KDiscoveryInterceptor interceptor = KDiscoveryInterceptor.builder(discovery)
               .initialWait(Duration.ofSeconds(20)).build()) {
        OkHttpClient client = new OkHttpClient.Builder().addInterceptor(interceptor).build();
        Set<String> answered = new HashSet<>();
        for (int i = 0; i < 20; i++) {
          try (Response response = client.newCall(new Request.Builder()
              .url("http://hostnames.default.svc.cluster.local/").build()).execute()) {
            answered.add(response.body().string().strip());
          }
        }
        client.dispatcher().executorService().shutdown();
        client.connectionPool().evictAll();
        assertThat(answered).containsExactlyInAnyOrder("pod-c", "pod-d");
      }
    }
  }
}
