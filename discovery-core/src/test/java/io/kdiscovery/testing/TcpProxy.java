package io.kdiscovery.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP forwarder on loopback that a test can stop, cut and restart on the same port: to the client
 * behind it, the API server goes away (connections reset, new ones refused) and comes back.
 *
 * <p>A cut resets only the client's side. The server's side of a cut connection stays open, and what
 * the server sends on it is read and dropped, until the proxy is closed: fabric8's mock server
 * handles a failed watch stream by waiting on its event loop for the watch's sender, which may itself
 * be waiting on that event loop, and a reset at the wrong moment then freezes the mock server for a
 * minute. The client sees exactly what it would see of a crashed server either way.
 */
public final class TcpProxy implements AutoCloseable {

  private final int targetPort;
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private volatile boolean blackhole; // new connections are accepted and never forwarded
  private volatile boolean resetNew; // new connections are accepted and reset at once
  private volatile ServerSocket listener;
  private int port;

  public TcpProxy(int targetPort) {
    this.targetPort = targetPort;
    start();
  }

  public int port() {
    return port;
  }

  /** Starts listening (again) on the same port. */
  public synchronized void start() {
    if (listener != null) {
      return;
    }
    try {
      ServerSocket server = new ServerSocket();
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      port = server.getLocalPort();
      listener = server;
      Thread accept = new Thread(() -> acceptLoop(server), "tcp-proxy-accept-" + port);
      accept.setDaemon(true);
      accept.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot listen on 127.0.0.1:" + port, e);
    }
  }

  /** Refuses new connections and resets the open ones: the server is gone. */
  public synchronized void stop() {
    if (listener != null) {
      closeQuietly(listener);
      listener = null;
    }
    cutConnections();
  }

  /** Resets every open connection (watch streams included) but keeps accepting new ones. */
  public void cutConnections() {
    for (Connection connection : connections) {
      connection.cut();
    }
  }

  /**
   * Stops forwarding on every open connection without closing it, as a NAT or a load balancer that
   * dropped its entries: both ends keep their sockets open and hear nothing more, ever (the bytes
   * sent meanwhile are lost). New connections still pass, unless {@link #blackhole} says otherwise.
   */
  public void freeze() {
    for (Connection connection : connections) {
      connection.frozen = true;
    }
  }

  /** While on, new connections are accepted but nothing is forwarded on them (a dead load balancer). */
  public void blackhole(boolean on) {
    blackhole = on;
  }

  /** While on, new connections are accepted and reset at once (a middlebox that resets). */
  public void resetNewConnections(boolean on) {
    resetNew = on;
  }

  /** Stops, and closes the server's side of every connection too. */
  @Override
  public void close() {
    stop();
    for (Connection connection : connections) {
      connection.close();
    }
    connections.clear();
  }

  private void acceptLoop(ServerSocket server) {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        if (resetNew) {
          closeQuietly(client);
          continue;
        }
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        Connection connection = new Connection(client, upstream);
        connection.frozen = blackhole;
        connections.add(connection);
        if (server.isClosed()) {
          // stop() ran while this connection was being accepted: it may have missed it, so cut it here.
          // (Added before this check, closed before stop() cuts: one of the two always sees it.)
          connection.cut();
        }
        pipe(connection, client, upstream);
        pipe(connection, upstream, client);
      } catch (IOException e) {
        // closed by stop(), or the target refused: the client sees a reset either way
      }
    }
  }

  private void pipe(Connection connection, Socket from, Socket to) {
    Thread thread = new Thread(() -> {
      byte[] buffer = new byte[16384];
      boolean toOpen = true;
      try (InputStream in = from.getInputStream()) {
        OutputStream out = to.getOutputStream();
        int n;
        while ((n = in.read(buffer)) >= 0) {
          if (!toOpen || connection.frozen) {
            continue; // the server's bytes for a cut client: dropped
          }
          try {
            out.write(buffer, 0, n);
            out.flush();
          } catch (IOException e) {
            if (!(connection.cut && from == connection.upstream)) {
              break;
            }
            toOpen = false;
          }
        }
      } catch (IOException e) {
        // connection cut
      } finally {
        if (connection.cut && from == connection.client) {
          // The client was cut: leave the server's side open (see the class comment).
        } else {
          connection.close();
          connections.remove(connection);
        }
      }
    }, "tcp-proxy-pipe");
    thread.setDaemon(true);
    thread.start();
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      if (closeable instanceof Socket socket && !socket.isClosed()) {
        socket.setSoLinger(true, 0); // reset, as a crashed server would
      }
      closeable.close();
    } catch (Exception e) {
      // already closed
    }
  }

  /** One proxied connection: the client's socket and ours to the server. */
  private static final class Connection {
    final Socket client;
    final Socket upstream;
    volatile boolean cut;
    volatile boolean frozen;

    Connection(Socket client, Socket upstream) {
      this.client = client;
      this.upstream = upstream;
    }

    void cut() {
      cut = true;
      closeQuietly(client);
    }

    void close() {
      closeQuietly(client);
      closeQuietly(upstream);
    }
  }
}
