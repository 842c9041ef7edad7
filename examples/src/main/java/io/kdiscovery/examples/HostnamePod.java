package io.kdiscovery.examples;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A stand-in for a pod of {@code k8s.gcr.io/serve_hostname}: an HTTP server on its own loopback
 * address (127.0.0.11, 127.0.0.12, …, as a pod has its own IP) that answers every request with its
 * name.
 */
public final class HostnamePod implements PodAddress, AutoCloseable {

  static {
    // The JDK server sends headers and body in separate small writes; without TCP_NODELAY the body
    // waits for the client's delayed ACK, 40 ms a request. Read once, when the first server starts.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private final String name;
  private final String ip;
  private final HttpServer server;

  public HostnamePod(String name, String ip, int port) {
    this.name = name;
    this.ip = ip;
    try {
      server = HttpServer.create(new InetSocketAddress(ip, port), 50);
    } catch (IOException e) {
      throw new IllegalStateException("pod " + name + " cannot listen on " + ip + ":" + port
          + " (is the port taken?)", e);
    }
    server.createContext("/", exchange -> {
      byte[] body = (name + "\n").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String ip() {
    return ip;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
