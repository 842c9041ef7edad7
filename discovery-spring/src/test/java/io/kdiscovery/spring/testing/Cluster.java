package io.kdiscovery.spring.testing;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.kdiscovery.testing.ApiServer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Services and EndpointSlices written to the mock API server the way the control plane writes them,
 * in sentences: {@code cluster.service("a", "web").label("tier", "backend").port("http", 80, 8080)
 * .pods("127.0.0.31", "127.0.0.32").create()}. Pod addresses are only data here: nothing listens on them.
 */
public final class Cluster {

  private final ApiServer api;

  public Cluster(ApiServer api) {
    this.api = api;
  }

  public ServiceSpec service(String namespace, String name) {
    return new ServiceSpec(namespace, name);
  }

  /** One Service and its one slice, built up and then created (or replaced) on the server. */
  public final class ServiceSpec {
    private final String namespace;
    private final String name;
    private final Map<String, String> labels = new LinkedHashMap<>();
    private final Map<String, String> annotations = new LinkedHashMap<>();
    private final List<int[]> ports = new java.util.ArrayList<>();
    private final List<String> portNames = new java.util.ArrayList<>();
    private final Map<String, Boolean[]> pods = new LinkedHashMap<>();
    private String externalName;
    private boolean headless;

    private ServiceSpec(String namespace, String name) {
      this.namespace = namespace;
      this.name = name;
    }

    public ServiceSpec label(String key, String value) {
      labels.put(key, value);
      return this;
    }

    public ServiceSpec annotation(String key, String value) {
      annotations.put(key, value);
      return this;
    }

    /** A Service port and the pods' port it maps to. */
    public ServiceSpec port(String portName, int port, int targetPort) {
      portNames.add(portName);
      ports.add(new int[] {port, targetPort});
      return this;
    }

    /** Ready pods at these addresses. */
    public ServiceSpec pods(String... ips) {
      for (String ip : ips) {
        pods.put(ip, new Boolean[] {true, true, false});
      }
      return this;
    }

    /** A pod that is not ready (starting: serving false). */
    public ServiceSpec notReadyPod(String ip) {
      pods.put(ip, new Boolean[] {false, false, false});
      return this;
    }

    /** A pod with exactly these EndpointSlice conditions (null: unset). */
    public ServiceSpec pod(String ip, Boolean ready, Boolean serving, Boolean terminating) {
      pods.put(ip, new Boolean[] {ready, serving, terminating});
      return this;
    }

    /** {@code clusterIP: None}. */
    public ServiceSpec headless() {
      headless = true;
      return this;
    }

    public ServiceSpec externalName(String host) {
      externalName = host;
      return this;
    }

    public void create() {
      ServiceBuilder service = new ServiceBuilder().withNewMetadata().withName(name).withNamespace(namespace)
          .withLabels(labels).withAnnotations(annotations).endMetadata();
      if (externalName != null) {
        api.apply(service.withNewSpec().withType("ExternalName").withExternalName(externalName).endSpec().build());
        return;
      }
      var spec = service.withNewSpec().withType("ClusterIP").addToSelector("app", name);
      if (headless) {
        spec.withClusterIP("None");
      }
      for (int i = 0; i < ports.size(); i++) {
        spec.addNewPort().withName(portNames.get(i)).withPort(ports.get(i)[0])
            .withTargetPort(new IntOrString(ports.get(i)[1])).withProtocol("TCP").endPort();
      }
      api.apply(spec.endSpec().build());
      EndpointSliceBuilder slice = new EndpointSliceBuilder()
          .withNewMetadata().withName(name + "-slice").withNamespace(namespace)
          .addToLabels("kubernetes.io/service-name", name).endMetadata()
          .withAddressType("IPv4");
      for (int i = 0; i < ports.size(); i++) {
        slice.addNewPort().withName(portNames.get(i)).withPort(ports.get(i)[1]).withProtocol("TCP").endPort();
      }
      int n = 0;
      for (Map.Entry<String, Boolean[]> pod : pods.entrySet()) {
        Boolean[] c = pod.getValue();
        slice.addToEndpoints(new EndpointBuilder().withAddresses(pod.getKey())
            .withNewConditions().withReady(c[0]).withServing(c[1]).withTerminating(c[2]).endConditions()
            .withNewTargetRef().withKind("Pod").withName(name + "-" + (++n)).withNamespace(namespace)
            .withUid(namespace + "-" + name + "-uid-" + n).endTargetRef()
            .build());
      }
      api.apply(slice.build());
    }
  }
}
