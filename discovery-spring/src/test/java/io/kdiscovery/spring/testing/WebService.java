package io.kdiscovery.spring.testing;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.kdiscovery.testing.ApiServer;
import java.util.Map;
import java.util.Set;

/**
 * The Service the Spring tests discover: {@code web} in namespace {@code default}, label
 * {@code app=web}, port {@code http} 80 → the pods' port and port {@code metrics} 9090 → 9091; its
 * pods are {@link Pods} on 127.0.0.11-13.
 */
public final class WebService {

  public static final String NAMESPACE = "default";
  public static final String NAME = "web";
  public static final int SERVICE_PORT = 80;
  public static final int METRICS_TARGET_PORT = 9091;

  private final ApiServer api;
  private final Pods pods;

  public WebService(ApiServer api, Pods pods) {
    this.api = api;
    this.pods = pods;
  }

  /** Creates the Service and one slice holding every pod, ready. */
  public void create() {
    api.apply(new ServiceBuilder()
        .withNewMetadata().withName(NAME).withNamespace(NAMESPACE).addToLabels("app", "web").endMetadata()
        .withNewSpec()
        .addToSelector("app", "web")
        .addNewPort().withName("http").withPort(SERVICE_PORT).withTargetPort(new IntOrString(pods.port()))
        .withProtocol("TCP").endPort()
        .addNewPort().withName("metrics").withPort(9090).withTargetPort(new IntOrString(METRICS_TARGET_PORT))
        .withProtocol("TCP").endPort()
        .endSpec().build());
    readyPods(pods.podByIp().keySet());
  }

  /** Publishes the slice with exactly these pods ready (by IP). */
  public void readyPods(Set<String> ips) {
    EndpointSliceBuilder slice = new EndpointSliceBuilder()
        .withNewMetadata().withName(NAME + "-abcde").withNamespace(NAMESPACE)
        .addToLabels("kubernetes.io/service-name", NAME)
        .addToLabels("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io")
        .endMetadata()
        .withAddressType("IPv4")
        .addNewPort().withName("http").withPort(pods.port()).withProtocol("TCP").endPort()
        .addNewPort().withName("metrics").withPort(METRICS_TARGET_PORT).withProtocol("TCP").endPort();
    for (Map.Entry<String, String> pod : pods.podByIp().entrySet()) {
      if (ips.contains(pod.getKey())) {
        slice.addToEndpoints(new EndpointBuilder().withAddresses(pod.getKey())
            .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions()
            .withNodeName("node-1").withZone("zone-a")
            .withNewTargetRef().withKind("Pod").withName(pod.getValue()).withNamespace(NAMESPACE).endTargetRef()
            .build());
      }
    }
    EndpointSlice built = slice.build();
    api.apply(built);
  }
}
