package io.kdiscovery.testing;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * fabric8's mock API server in CRUD mode (real HTTP, real watches) behind a {@link TcpProxy}, with
 * scripted faults. The code under test talks through the proxy ({@link #client()}); the test changes
 * the cluster through {@link #admin()}, which goes straight to the server and so works while the
 * proxy plays an outage.
 */
public final class ApiServer implements AutoCloseable {

  private static final Logger MOCK_SERVER_LOG = Logger.getLogger("io.fabric8.mockwebserver");

  private final FaultDispatcher dispatcher = new FaultDispatcher();
  private final KubernetesMockServer server;
  private final TcpProxy proxy;
  private final KubernetesClient admin;
  private final KubernetesClient client;

  public ApiServer() {
    // The mock server logs every request at INFO through java.util.logging; keep test output readable.
    MOCK_SERVER_LOG.setLevel(Level.WARNING);
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    try {
      server.init(InetAddress.getLoopbackAddress(), 0);
    } catch (RuntimeException e) {
      throw new IllegalStateException("mock API server did not start", e);
    }
    proxy = new TcpProxy(server.getPort());
    admin = clientFor(server.getPort());
    client = clientFor(proxy.port());
  }

  private static KubernetesClient clientFor(int port) {
    return new KubernetesClientBuilder().withConfig(new ConfigBuilder()
        .withMasterUrl("http://127.0.0.1:" + port)
        .withNamespace("default")
        .withRequestTimeout(5_000)
        .withConnectionTimeout(2_000)
        .build()).build();
  }

  /** A client for the code under test, through the proxy. */
  public KubernetesClient client() {
    return client;
  }

  /** A client for the test's own changes, straight to the server. */
  public KubernetesClient admin() {
    return admin;
  }

  public FaultDispatcher faults() {
    return dispatcher;
  }

  public TcpProxy proxy() {
    return proxy;
  }

  public void apply(Service service) {
    admin.resource(service).createOr(existing -> existing.update());
  }

  public void apply(EndpointSlice slice) {
    admin.resource(slice).createOr(existing -> existing.update());
  }

  public void deleteSlice(String namespace, String name) {
    admin.discovery().v1().endpointSlices().inNamespace(namespace).withName(name).delete();
  }

  @Override
  public void close() {
    client.close();
    admin.close();
    proxy.close();
    try {
      server.destroy();
    } catch (IllegalStateException e) {
      // Vert.x sometimes takes longer than the mock's fixed shutdown wait on a loaded machine; the
      // server is still going away, and nothing a test asserts depends on how fast.
      System.err.println("mock API server shutdown was slow: " + e.getMessage());
    }
  }
}
