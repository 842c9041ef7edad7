package io.kdiscovery.examples;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC pod of the hostnames Service: a grpc-java Netty server on its own loopback address that
 * answers the one method {@code hostnames.Hostnames/Whoami} with its name. The method is defined by
 * hand (no protoc) so that the example stays one file per idea.
 */
public final class GrpcHostnamePod implements PodAddress, AutoCloseable {

  /** {@code rpc Whoami(string) returns (string)}: the request is ignored, the answer is the pod's name. */
  static final MethodDescriptor<String, String> WHOAMI = MethodDescriptor.<String, String>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName(MethodDescriptor.generateFullMethodName("hostnames.Hostnames", "Whoami"))
      .setRequestMarshaller(Utf8.INSTANCE)
      .setResponseMarshaller(Utf8.INSTANCE)
      .build();

  private final String name;
  private final String ip;
  private final Server server;

  public GrpcHostnamePod(String name, String ip, int port) {
    this.name = name;
    this.ip = ip;
    ServerServiceDefinition service = ServerServiceDefinition.builder("hostnames.Hostnames")
        .addMethod(WHOAMI, ServerCalls.asyncUnaryCall((request, response) -> {
          response.onNext(name);
          response.onCompleted();
        }))
        .build();
    try {
      server = NettyServerBuilder.forAddress(new InetSocketAddress(ip, port)).addService(service).build().start();
    } catch (IOException e) {
      throw new IllegalStateException("pod " + name + " cannot listen on " + ip + ":" + port
          + " (is the port taken?)", e);
    }
  }

  /** Asks whichever pod {@code channel} picks for its name; fails within 5 s rather than waiting. */
  public static String whoami(Channel channel) {
    return ClientCalls.blockingUnaryCall(channel, WHOAMI, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "");
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String ip() {
    return ip;
  }

  @Override
  public void close() {
    // Wait for the port to be free: the next example may bind the same address.
    try {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Strings as UTF-8 bytes. */
  private enum Utf8 implements MethodDescriptor.Marshaller<String> {
    INSTANCE;

    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
