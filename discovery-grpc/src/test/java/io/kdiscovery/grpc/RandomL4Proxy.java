package io.kdiscovery.grpc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Random;

/**
 * What a ClusterIP gives a client, in miniature: a TCP forwarder that picks one backend uniformly at
 * random for each new connection (as kube-proxy's iptables rules do with {@code statistic --mode
 * random}) and then forwards every byte of that connection to it. It never looks inside the stream,
 * so every HTTP/2 request of one connection reaches the same pod.
 */
final class RandomL4Proxy implements AutoCloseable {

  private final List<InetSocketAddress> backends;
  private final Random random;
  private final ServerSocket listener;

  RandomL4Proxy(List<InetSocketAddress> backends, long seed) {
    this.backends = List.copyOf(backends);
    this.random = new Random(seed);
    try {
      listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Thread accept = new Thread(this::acceptLoop, "l4-proxy-accept");
    accept.setDaemon(true);
    accept.start();
  }

  /** The "ClusterIP" address clients dial. */
  String target() {
    return "127.0.0.1:" + listener.getLocalPort();
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        InetSocketAddress backend;
        synchronized (random) {
          backend = backends.get(random.nextInt(backends.size()));
        }
        Socket upstream = new Socket(backend.getAddress(), backend.getPort());
        pipe(client, upstream);
        pipe(upstream, client);
      } catch (IOException e) {
        // closed, or the backend refused: the client sees the connection drop
      }
    }
  }

  private static void pipe(Socket from, Socket to) {
    Thread thread = new Thread(() -> {
      byte[] buffer = new byte[16384];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // connection closed
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "l4-proxy-pipe");
    thread.setDaemon(true);
    thread.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() {
    try {
      listener.close();
    } catch (IOException e) {
      // already closed
    }
  }
}
