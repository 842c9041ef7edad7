package io.kdiscovery.grpc;

import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC application on a {@code kubernetes:///} channel with the shared default KDiscovery, run in
 * a child JVM by {@link GrpcJvmExitTest}: one call, {@code shutdownNow()}, and main returns. Its API
 * server comes from the {@code kubernetes.master} system property. Prints what the parent checks.
 */
public final class ForgetfulGrpcMain {

  private ForgetfulGrpcMain() {}

  public static void main(String[] args) throws Exception {
    ManagedChannel channel = Grpc.newChannelBuilder("kubernetes:///hostnames.default:80",
        InsecureChannelCredentials.create()).build();
    System.out.println("answer: " + Whoami.call(channel, CallOptions.DEFAULT.withWaitForReady()));
    channel.shutdownNow();
    if (!channel.awaitTermination(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the channel did not terminate");
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (SharedDiscovery.DEFAULT.isOpen() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
      Thread.yield();
    }
    System.out.println(SharedDiscovery.DEFAULT.isOpen() ? "SHARED OPEN" : "SHARED CLOSED");
    System.out.println("RETURNING");
  }
}
