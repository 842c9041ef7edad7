package io.kdiscovery.benchmarks.watch;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.ArrayList;
import java.util.List;

/**
 * The objects of the harnesses: a Service {@code name} whose port 80 ({@code http}) maps to the pods'
 * 8080, and its EndpointSlices as the EndpointSlice controller writes them (up to 100 endpoints per
 * slice), pods on distinct 10.x.y.z addresses.
 */
final class Fixtures {

  static final String NAMESPACE = "default";
  static final int PER_SLICE = 100;

  private Fixtures() {}

  static Service service(String name) {
    return new ServiceBuilder().withNewMetadata().withName(name).withNamespace(NAMESPACE).endMetadata()
        .withNewSpec().withClusterIP("None").addToSelector("app", name)
        .addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString(8080)).withProtocol("TCP").endPort()
        .endSpec().build();
  }

  /** How many slices {@code endpoints} endpoints take. */
  static int slices(int endpoints) {
    return Math.max(1, (endpoints + PER_SLICE - 1) / PER_SLICE);
  }

  /**
   * Slice {@code index} of Service {@code name} with {@code total} endpoints in all; the first
   * endpoint of the slice is ready or not as {@code firstReady} says, every other one is ready.
   *
   * @param serviceIndex spreads the addresses of different Services apart
   */
  static EndpointSlice slice(String name, int serviceIndex, int index, int total, boolean firstReady) {
    int from = index * PER_SLICE;
    int to = Math.min(total, from + PER_SLICE);
    List<Endpoint> endpoints = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      long n = (long) serviceIndex * 100_000 + i;
      String ip = "10." + (n >> 16 & 255) + "." + (n >> 8 & 255) + "." + (n & 255);
      boolean ready = i != from || firstReady;
      endpoints.add(new EndpointBuilder().withAddresses(ip)
          .withNewConditions().withReady(ready).withServing(ready).withTerminating(false).endConditions()
          .withNodeName("node-" + (i % 7)).withZone("zone-" + (i % 3))
          .withNewTargetRef().withKind("Pod").withName(name + "-" + i).withNamespace(NAMESPACE).endTargetRef()
          .build());
    }
    return new EndpointSliceBuilder().withNewMetadata().withName(name + "-" + index).withNamespace(NAMESPACE)
        .addToLabels("kubernetes.io/service-name", name).endMetadata()
        .withAddressType("IPv4")
        .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort()
        .withEndpoints(endpoints).build();
  }
}
