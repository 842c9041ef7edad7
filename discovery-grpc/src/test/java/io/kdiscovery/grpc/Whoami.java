package io.kdiscovery.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The one-method test service every pod serves, defined by hand (no protoc): the request is ignored,
 * the answer is the pod's name, as the hostnames pods answer with their hostname.
 */
final class Whoami {

  static final MethodDescriptor<String, String> METHOD = MethodDescriptor.<String, String>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName(MethodDescriptor.generateFullMethodName("kdiscovery.test.Hostnames", "Whoami"))
      .setRequestMarshaller(Utf8.INSTANCE)
      .setResponseMarshaller(Utf8.INSTANCE)
      .build();

  private Whoami() {}

  /** Asks one pod for its name over {@code channel}; fails fast (no waitForReady) within 5 s. */
  static String call(Channel channel) {
    return call(channel, CallOptions.DEFAULT);
  }

  static String call(Channel channel, CallOptions options) {
    return ClientCalls.blockingUnaryCall(channel, METHOD, options.withDeadlineAfter(5, TimeUnit.SECONDS), "");
  }

  /** Strings as UTF-8 bytes. */
  enum Utf8 implements MethodDescriptor.Marshaller<String> {
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
