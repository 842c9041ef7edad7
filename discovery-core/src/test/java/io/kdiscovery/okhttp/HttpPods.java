package io.kdiscovery.okhttp;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;

/**
 * Pods of one Service as real HTTP (or HTTPS) servers, each on its own loopback address and all on the
 * same free port, as the pods of a Deployment share their containerPort. Each answers with its name
 * and remembers the Host header, the X-User header and (for HTTPS) the SNI name of every request.
 */
final class HttpPods implements AutoCloseable {

  /** One pod: its address, what it was asked, and a switch to make it answer 503. */
  static final class Pod {
    final String name;
    final String ip;
    final AtomicInteger requests = new AtomicInteger();
    final List<String> hostHeaders = new CopyOnWriteArrayList<>();
    final List<String> users = new CopyOnWriteArrayList<>();
    final List<String> sniNames = new CopyOnWriteArrayList<>();
    volatile int status = 200;
    HttpServer server;

    Pod(String name, String ip) {
      this.name = name;
      this.ip = ip;
    }

    /** Kills the pod's process: nothing listens at its address any more. */
    void kill() {
      server.stop(0);
    }
  }

  final int port;
  final List<Pod> pods = new ArrayList<>();
  private final Map<String, Pod> byName = new ConcurrentHashMap<>();

  /** Pods {@code names} on 127.0.0.{firstOctet}, +1, …; HTTPS with {@code tls} when it is not null. */
  HttpPods(int firstOctet, SSLContext tls, String... names) throws IOException {
    this.port = startAll(firstOctet, tls, names);
    pods.forEach(pod -> byName.put(pod.name, pod));
  }

  private int startAll(int firstOctet, SSLContext tls, String... names) throws IOException {
    IOException last = null;
    for (int attempt = 0; attempt < 20; attempt++) {
      try {
        int p = 0;
        for (int i = 0; i < names.length; i++) {
          Pod pod = new Pod(names[i], "127.0.0." + (firstOctet + i));
          pod.server = start(pod, p, tls);
          p = pod.server.getAddress().getPort();
          pods.add(pod);
        }
        return p;
      } catch (BindException e) {
        // The first pod's free port is taken on another address: start over on a new one.
        pods.forEach(pod -> pod.server.stop(0));
        pods.clear();
        last = e;
      }
    }
    throw last;
  }

  Pod pod(String name) {
    return byName.get(name);
  }

  private static HttpServer start(Pod pod, int port, SSLContext tls) throws IOException {
    HttpServer server;
    if (tls != null) {
      HttpsServer https = HttpsServer.create(new InetSocketAddress(pod.ip, port), 50);
      https.setHttpsConfigurator(new HttpsConfigurator(tls));
      server = https;
    } else {
      server = HttpServer.create(new InetSocketAddress(pod.ip, port), 50);
    }
    server.createContext("/", exchange -> {
      pod.requests.incrementAndGet();
      pod.hostHeaders.add(String.valueOf(exchange.getRequestHeaders().getFirst("Host")));
      String user = exchange.getRequestHeaders().getFirst("X-User");
      if (user != null) {
        pod.users.add(user);
      }
      if (exchange instanceof HttpsExchange secure && secure.getSSLSession() instanceof ExtendedSSLSession session) {
        for (SNIServerName sni : session.getRequestedServerNames()) {
          if (sni instanceof SNIHostName host) {
            pod.sniNames.add(host.getAsciiName());
          }
        }
      }
      exchange.getRequestBody().readAllBytes();
      byte[] body = (pod.name + "\n").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(pod.status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    return server;
  }

  @Override
  public void close() {
    pods.forEach(pod -> pod.server.stop(0));
  }
}
