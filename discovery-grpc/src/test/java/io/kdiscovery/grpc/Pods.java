package io.kdiscovery.grpc;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Real gRPC Netty servers standing in for pods: each on its own loopback address (127.0.0.11, .12,
 * ...) and all on the same port, as pods of one Deployment listen on one port at different IPs. The
 * port is chosen free at start, so concurrent test runs on the machine do not collide.
 */
final class Pods implements AutoCloseable {

  private final int port;
  private final Map<String, Server> servers = new ConcurrentHashMap<>();

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
          response.onNext(name);
          response.onCompleted();
        }))
        .build();
    try {
      Server server = NettyServerBuilder.forAddress(new InetSocketAddress(ip, port), InsecureServerCredentials.create())
          .addService(service)
          .build()
          .start();
      servers.put(name, server);
    } catch (IOException e) {
      throw new UncheckedIOException("pod " + name + " cannot listen on " + ip + ":" + port, e);
    }
  }

  /** Shuts the pod down gracefully: calls under way complete, new ones are refused. */
  void stop(String name) {
    Server server = servers.remove(name);
    if (server == null) {
      return;
    }
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
  }

  @Override
  public void close() {
    servers.keySet().forEach(this::stop);
  }

  private static int freePortOn(String ip) {
    try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getByName(ip))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on " + ip, e);
    }
  }
}
