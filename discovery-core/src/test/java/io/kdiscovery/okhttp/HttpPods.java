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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;

/**
 * Pods of one Service as real HTTP (or HTTPS) servers, each on its own loopback address and all on the
 * same free port, as the pods of a Deployment share their containerPort. Each answers with its name
 * and remembers the Host header, the X-User header and (for HTTPS) the SNI name of every request, and
 * the Cookie and Authorization headers. {@code /set-cookie} sets a cookie {@code session=<pod>};
 * {@code /redirect} answers 302 to the root of the URL it was called by (its scheme and Host header);
 * {@code /cacheable} may be cached for ten minutes.
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
    /** "SNI Host" of every HTTPS request ("- Host" without SNI). */
    final List<String> sniAndHost = new CopyOnWriteArrayList<>();
    /** "path Cookie" and "path Authorization" of every request ("-" when absent). */
    final List<String> cookies = new CopyOnWriteArrayList<>();
    final List<String> authorizations = new CopyOnWriteArrayList<>();
    volatile int status = 200;
    HttpServer server;
    final ExecutorService handlers = Executors.newFixedThreadPool(4, r -> {
      Thread thread = new Thread(r, "pod-handler");
      thread.setDaemon(true);
      return thread;
    });

    Pod(String name, String ip) {
      this.name = name;
      this.ip = ip;
    }

    /** Kills the pod's process: nothing listens at its address any more. */
    void kill() {
      server.stop(0);
      handlers.shutdownNow();
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
        pods.forEach(Pod::kill);
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
      String hostHeader = String.valueOf(exchange.getRequestHeaders().getFirst("Host"));
      String path = exchange.getRequestURI().getPath();
      pod.hostHeaders.add(hostHeader);
      pod.cookies.add(path + " " + orDash(exchange.getRequestHeaders().getFirst("Cookie")));
      pod.authorizations.add(path + " " + orDash(exchange.getRequestHeaders().getFirst("Authorization")));
      String user = exchange.getRequestHeaders().getFirst("X-User");
      if (user != null) {
        pod.users.add(user);
      }
      if (exchange instanceof HttpsExchange secure && secure.getSSLSession() instanceof ExtendedSSLSession session) {
        String sniName = "-";
        for (SNIServerName sni : session.getRequestedServerNames()) {
          if (sni instanceof SNIHostName host) {
            pod.sniNames.add(host.getAsciiName());
            sniName = host.getAsciiName();
          }
        }
        pod.sniAndHost.add(sniName + " " + hostHeader);
      }
      exchange.getRequestBody().readAllBytes();
      if (path.equals("/cacheable")) {
        exchange.getResponseHeaders().add("Cache-Control", "max-age=600");
      }
      if (path.equals("/set-cookie")) {
        exchange.getResponseHeaders().add("Set-Cookie", "session=" + pod.name + "; Path=/");
      }
      if (path.equals("/redirect")) {
        exchange.getResponseHeaders().add("Location", (tls != null ? "https://" : "http://") + hostHeader + "/");
        exchange.sendResponseHeaders(302, -1);
        exchange.close();
        return;
      }
      byte[] body = (pod.name + "\n").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(pod.status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    if (tls != null) {
      // The JDK server handshakes on the thread that runs the exchange: more than its one dispatcher
      // thread, so that handshakes of many concurrent connections are not served one at a time.
      server.setExecutor(pod.handlers);
    }
    server.start();
    return server;
  }

  private static String orDash(String value) {
    return value == null ? "-" : value;
  }

  @Override
  public void close() {
    pods.forEach(Pod::kill);
  }
}
