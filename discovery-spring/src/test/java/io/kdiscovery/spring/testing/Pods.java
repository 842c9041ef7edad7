package io.kdiscovery.spring.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Real HTTP servers standing in for a Service's pods, each on its own loopback address
 * ({@code 127.0.0.11}, {@code .12}, …) and all on the same port, as pods share a target port. Each
 * answers every request with its pod name.
 */
public final class Pods implements AutoCloseable {

  static {
    // The JDK server sends headers and body in separate small writes; without TCP_NODELAY the body
    // waits for the client's delayed ACK, 40 ms a request. Read once, when the first server starts.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private final int port;
  private final Map<String, String> podByIp = new LinkedHashMap<>();
  private final List<HttpServer> servers;
  private final AtomicIntegerArray requests;
  private final AtomicIntegerArray statuses;
  private final ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
    Thread t = new Thread(r, "pod-http");
    t.setDaemon(true);
    return t;
  });

  private Pods(int port, List<HttpServer> servers) {
    this.port = port;
    this.servers = servers;
    this.requests = new AtomicIntegerArray(servers.size());
    this.statuses = new AtomicIntegerArray(servers.size());
    for (int i = 0; i < servers.size(); i++) {
      statuses.set(i, 200);
    }
  }

  /** Starts {@code count} pods named {@code <prefix>-1}, … on 127.0.0.11, …, on one free port. */
  public static Pods start(String prefix, int count) {
    for (int attempt = 0; ; attempt++) {
      int port = 20_000 + ThreadLocalRandom.current().nextInt(20_000);
      List<HttpServer> started = new java.util.ArrayList<>();
      try {
        for (int i = 1; i <= count; i++) {
          started.add(HttpServer.create(new InetSocketAddress(ip(i), port), 64));
        }
      } catch (BindException e) {
        started.forEach(s -> s.stop(0));
        if (attempt < 20) {
          continue;
        }
        throw new UncheckedIOException("no common free port for the pods", e);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Pods pods = new Pods(port, started);
      for (int i = 1; i <= count; i++) {
        String pod = prefix + "-" + i;
        pods.podByIp.put(ip(i), pod);
        HttpServer server = started.get(i - 1);
        int index = i - 1;
        server.createContext("/", exchange -> {
          pods.requests.incrementAndGet(index);
          byte[] body = pod.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(pods.statuses.get(index), body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
        server.setExecutor(pods.executor);
        server.start();
      }
      return pods;
    }
  }

  /** The address of the {@code i}-th pod (1-based): {@code 127.0.0.1<i>}. */
  public static String ip(int i) {
    return "127.0.0." + (10 + i);
  }

  /** The pods' port: what EndpointSlices list, unlike the Service's port. */
  public int port() {
    return port;
  }

  /** Pod names by IP, in start order. */
  public Map<String, String> podByIp() {
    return podByIp;
  }

  /** Makes the {@code i}-th pod (1-based) answer every request with {@code status} from now on. */
  public void answerWith(int i, int status) {
    statuses.set(i - 1, status);
  }

  /** How many requests the {@code i}-th pod (1-based) has received. */
  public int requests(int i) {
    return requests.get(i - 1);
  }

  /** Stops the {@code i}-th pod's server (1-based): its address refuses connections from now on. */
  public void kill(int i) {
    servers.get(i - 1).stop(0);
  }

  @Override
  public void close() {
    servers.forEach(s -> s.stop(0));
    executor.shutdownNow();
  }
}
