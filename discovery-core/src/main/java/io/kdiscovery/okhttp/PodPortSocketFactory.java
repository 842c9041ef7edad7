package io.kdiscovery.okhttp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import javax.net.SocketFactory;

/**
 * Plain sockets that connect to the pod's port when asked for the Service's port on the pod's address:
 * the call's URL keeps the Service's port (so that redirects, cookies, the cache and {@code Host} are
 * those of the Service's URL), while the pod listens on the Service's {@code targetPort}. Any other
 * destination (a redirect elsewhere) is connected to as asked.
 *
 * <p>Immutable and thread-safe.
 */
final class PodPortSocketFactory extends SocketFactory {

  private final InetAddress pod;
  private final int servicePort;
  private final int podPort;

  PodPortSocketFactory(InetAddress pod, int servicePort, int podPort) {
    this.pod = pod;
    this.servicePort = servicePort;
    this.podPort = podPort;
  }

  /** What OkHttp calls: an unconnected socket, which it then connects to the route's address. */
  @Override
  public Socket createSocket() {
    return new Socket() {
      @Override
      public void connect(SocketAddress endpoint, int timeout) throws IOException {
        super.connect(mapped(endpoint), timeout);
      }
    };
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return connected(new InetSocketAddress(host, port), null);
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
    return connected(new InetSocketAddress(host, port), new InetSocketAddress(localHost, localPort));
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return connected(new InetSocketAddress(host, port), null);
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
      throws IOException {
    return connected(new InetSocketAddress(address, port), new InetSocketAddress(localAddress, localPort));
  }

  private Socket connected(SocketAddress endpoint, SocketAddress local) throws IOException {
    Socket socket = createSocket();
    try {
      if (local != null) {
        socket.bind(local);
      }
      socket.connect(endpoint);
      return socket;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  private SocketAddress mapped(SocketAddress endpoint) {
    if (endpoint instanceof InetSocketAddress target && target.getPort() == servicePort
        && pod.equals(target.getAddress())) {
      return new InetSocketAddress(pod, podPort);
    }
    return endpoint;
  }
}
