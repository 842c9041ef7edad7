package io.kdiscovery.grpc;

import io.grpc.Attributes;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real gRPC Netty servers standing in for pods: each on its own loopback address (127.0.0.11, .12,
 * ...) and all on the same port, as pods of one Deployment listen on one port at different IPs. The
 * port is chosen free at start, so concurrent test runs on the machine do not collide.
 */
final class Pods implements AutoCloseable {

  private final int port;
  private final Map<String, Server> servers = new ConcurrentHashMap<>();
  private final Map<String, Status> failures = new ConcurrentHashMap<>();
  private final Map<String, Duration> delays = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> connections = new ConcurrentHashMap<>();
  private final ScheduledExecutorService slowAnswers = Executors.newSingleThreadScheduledExecutor(runnable -> {
    Thread thread = new Thread(runnable, "slow-pod-answers");
    thread.setDaemon(true);
    return thread;
  });

  Pods() {
    this.port = freePortOn("127.0.0.11");
  }

  /** The pods' port: what the EndpointSlices publish, and what the Service's port 80 maps to. */
  int port() {
    return port;
  }

  /** Starts the pod {@code name} answering on {@code ip}:{@link #port()}. */
  void start(String name, String ip) {
    ServerServiceDefinition service = ServerServiceDefinition.builder("kdiscovery.test.Hostnames")
        .addMethod(Whoami.METHOD, ServerCalls.asyncUnaryCall((request, response) -> {
          Runnable answer = () -> {
            Status failure = failures.get(name);
            if (failure != null) {
              response.onError(failure.asRuntimeException());
            } else {
              response.onNext(name);
              response.onCompleted();
            }
          };
          Duration delay = delays.get(name);
          if (delay == null) {
            answer.run();
          } else {
            slowAnswers.schedule(answer, delay.toNanos(), TimeUnit.NANOSECONDS);
          }
        }))
        .build();
    try {
      Server server = NettyServerBuilder.forAddress(new InetSocketAddress(ip, port), InsecureServerCredentials.create())
          .addService(service)
          .addTransportFilter(countingConnectionsOf(name))
          .build()
          .start();
      servers.put(name, server);
    } catch (IOException e) {
      throw new UncheckedIOException("pod " + name + " cannot listen on " + ip + ":" + port, e);
    }
  }

  /** How many client connections the pod holds open now. */
  int connections(String name) {
    AtomicInteger open = connections.get(name);
    return open == null ? 0 : open.get();
  }

  private ServerTransportFilter countingConnectionsOf(String name) {
    AtomicInteger open = connections.computeIfAbsent(name, n -> new AtomicInteger());
    return new ServerTransportFilter() {
      @Override
      public Attributes transportReady(Attributes attributes) {
        open.incrementAndGet();
        return attributes;
      }

      @Override
      public void transportTerminated(Attributes attributes) {
        open.decrementAndGet();
      }
    };
  }

  /** From now on the pod answers every call with {@code failure} (a broken pod that still accepts calls). */
  void failWith(String name, Status failure) {
    failures.put(name, failure);
  }

  /** From now on the pod answers every call after {@code delay} (an overloaded pod). */
  void slowDown(String name, Duration delay) {
    delays.put(name, delay);
  }

  /**
   * Shuts the pods down gracefully, all at once: calls under way complete, new ones are refused, and
   * each server waits (at most 10 s) for its clients to close their connections.
   */
  void stop(String... names) {
    List<Server> stopping = new ArrayList<>();
    for (String name : names) {
      Server server = servers.remove(name);
      if (server != null) {
        server.shutdown();
        stopping.add(server);
      }
    }
    for (Server server : stopping) {
      try {
        if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
          server.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        server.shutdownNow();
      }
    }
  }

  @Override
  public void close() {
    stop(servers.keySet().toArray(String[]::new));
    slowAnswers.shutdownNow();
  }

  private static int freePortOn(String ip) {
    try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getByName(ip))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on " + ip, e);
    }
  }
}
