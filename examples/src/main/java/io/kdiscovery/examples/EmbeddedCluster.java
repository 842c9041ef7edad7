package io.kdiscovery.examples;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Kubernetes API server in the process — fabric8's mock server in CRUD mode, with real HTTP and
 * real watches — holding the hostnames Service. It answers the API discovery documents and the
 * Scale subresource as well (see {@link ApiServerDispatcher}), so the real {@code kubectl} can drive
 * it through {@link #writeKubeconfig}. {@link #publishEndpoints} plays a minimal EndpointSlice
 * controller for the gRPC and Spring examples; the main demo runs a whole one ({@link PodController}).
 */
public final class EmbeddedCluster implements AutoCloseable {

  public static final String NAMESPACE = "default";

  /** The mock logs every request through java.util.logging; held, as that API keeps loggers weakly. */
  private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  static {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  private final ApiServerDispatcher dispatcher = new ApiServerDispatcher();
  private final KubernetesMockServer server = new KubernetesMockServer(
      new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
  private final KubernetesClient admin;

  public EmbeddedCluster() {
    server.init(InetAddress.getLoopbackAddress(), 0);
    admin = newClient();
  }

  /** A new client of this API server, as an application would configure one. */
  public KubernetesClient newClient() {
    return new KubernetesClientBuilder().withConfig(new ConfigBuilder()
        .withMasterUrl(url()).withNamespace(NAMESPACE).build()).build();
  }

  /** The API server's address, {@code http://127.0.0.1:<port>}. */
  public String url() {
    return "http://127.0.0.1:" + server.getPort();
  }

  /** The client the demo's controller writes with; shared, not to be closed by the caller. */
  KubernetesClient admin() {
    return admin;
  }

  /** What reached the API server, for tests and for the read-only guarantee of the watch mode. */
  ApiServerDispatcher dispatcher() {
    return dispatcher;
  }

  /**
   * Writes a kubeconfig with one context, {@code kdiscovery-demo}, pointing at this server, so that
   * {@code kubectl --kubeconfig PATH ...} (or {@code KUBECONFIG=PATH}) drives it.
   */
  public Path writeKubeconfig(Path file) {
    String yaml = String.join("\n",
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: kdiscovery-demo",
        "  cluster:",
        "    server: " + url(),
        "users:",
        "- name: demo",
        "  user:",
        "    token: demo",
        "contexts:",
        "- name: kdiscovery-demo",
        "  context:",
        "    cluster: kdiscovery-demo",
        "    user: demo",
        "    namespace: " + NAMESPACE,
        "current-context: kdiscovery-demo",
        "");
    try {
      Files.writeString(file, yaml);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the kubeconfig " + file, e);
    }
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
