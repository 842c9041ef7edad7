package io.kdiscovery.examples;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Kubernetes API server in the process — fabric8's mock server in CRUD mode, with real HTTP and
 * real watches — holding the hostnames Service, and playing the EndpointSlice controller: it
 * publishes the pods it is told about as one EndpointSlice.
 */
public final class EmbeddedCluster implements AutoCloseable {

  public static final String NAMESPACE = "default";

  private final KubernetesMockServer server = new KubernetesMockServer(
      new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
  private final KubernetesClient admin;

  public EmbeddedCluster() {
    server.init(InetAddress.getLoopbackAddress(), 0);
    admin = newClient();
  }

  /** A new client of this API server, as an application would configure one. */
  public KubernetesClient newClient() {
    return new KubernetesClientBuilder().withConfig(new ConfigBuilder()
        .withMasterUrl("http://127.0.0.1:" + server.getPort()).withNamespace(NAMESPACE).build()).build();
  }

  /** Creates the objects of a manifest on the classpath; returns the Service among them. */
  public Service apply(String manifest) {
    try (InputStream yaml = EmbeddedCluster.class.getResourceAsStream(manifest)) {
      if (yaml == null) {
        throw new IllegalArgumentException("no manifest " + manifest + " on the classpath");
      }
      List<HasMetadata> objects = new KubernetesSerialization().unmarshal(yaml);
      Service service = null;
      for (HasMetadata object : objects) {
        object.getMetadata().setNamespace(NAMESPACE);
        admin.resource(object).createOr(existing -> existing.update());
        if (object instanceof Service s) {
          service = new ServiceBuilder(s).build();
        }
      }
      return service;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Publishes the endpoints of a Service port as the EndpointSlice controller would: one slice,
   * each pod with its readiness.
   *
   * @param ready pod → whether it passes its readinessProbe
   */
  public void publishEndpoints(String service, String portName, int podPort, Map<? extends PodAddress, Boolean> ready) {
    List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> endpoints = new ArrayList<>();
    ready.forEach((pod, isReady) -> endpoints.add(new EndpointBuilder().withAddresses(pod.ip())
        .withNewConditions().withReady(isReady).withServing(isReady).withTerminating(false).endConditions()
        .withNewTargetRef().withKind("Pod").withName(pod.name()).withNamespace(NAMESPACE).endTargetRef()
        .build()));
    admin.resource(new EndpointSliceBuilder()
        .withNewMetadata().withName(service + "-slice").withNamespace(NAMESPACE)
        .addToLabels("kubernetes.io/service-name", service).endMetadata()
        .withAddressType("IPv4").withEndpoints(endpoints)
        .addNewPort().withName(portName).withPort(podPort).withProtocol("TCP").endPort()
        .build()).createOr(existing -> existing.update());
  }

  @Override
  public void close() {
    admin.close();
    server.destroy();
  }
}
