package io.kdiscovery.source.dns;

import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.SourceState;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Issue 20, the DNS mode's cost: a real dnsmasq (TTL 1 s) behind a UDP relay that counts the queries
 * and bytes one {@link DnsEndpointSource} sends while it watches {@code services} headless Services
 * (ports by number: A and AAAA) for {@code seconds} real seconds. Prints the count and the rate per
 * hour; the rate at another TTL is this one times 1 s / TTL (the source refreshes when the records
 * expire, at least every minRefresh = 1 s). Not a test: it runs for a minute on purpose.
 *
 * <p>Run: {@code java -cp discovery-core/target/test-classes:discovery-core/target/classes:$(cat /tmp/cp.txt)
 * io.kdiscovery.source.dns.DnsCostHarness 10 60}
 */
public final class DnsCostHarness {

  private DnsCostHarness() {}

  public static void main(String[] args) throws Exception {
    int services = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    String[] hosts = new String[services];
    for (int i = 0; i < services; i++) {
      hosts[i] = "127.0.1." + (i + 1) + " svc-" + i + ".default.svc.cluster.local";
    }
    AtomicLong queries = new AtomicLong();
    AtomicLong bytes = new AtomicLong();
    try (Dnsmasq dns = Dnsmasq.start(Files.createTempDirectory("dns-cost"), hosts);
         DatagramSocket relay = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
         DatagramSocket upstream = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      // dnsjava sends each query from a port of its own: answers go back by the query's transaction id
      java.util.Map<Integer, SocketAddress> client = new java.util.concurrent.ConcurrentHashMap<>();
      Thread in = new Thread(() -> pump(relay, upstream, dns.address(), client, queries, bytes), "dns-relay-in");
      Thread out = new Thread(() -> pumpBack(upstream, relay, client, bytes), "dns-relay-out");
      in.setDaemon(true);
      out.setDaemon(true);
      in.start();
      out.start();
      try (DnsEndpointSource source = DnsEndpointSource.builder()
          .nameServer((InetSocketAddress) relay.getLocalSocketAddress()).build()) {
        List<EndpointSource.Watch> watches = new ArrayList<>();
        for (int i = 0; i < services; i++) {
          watches.add(source.watch(ServiceKey.of("default", "svc-" + i, 8080), new EndpointSource.Listener() {
            @Override
            public void onState(SourceState state) {}

            @Override
            public void onFailure(String reason, Throwable cause) {}
          }));
        }
        Thread.sleep(seconds * 1000L);
        watches.forEach(EndpointSource.Watch::close);
      }
    }
    double perHour = queries.get() * 3600.0 / seconds;
    System.out.printf("DNS mode, %d Services by port number, TTL %d s: %d queries and %.1f KiB (both ways) in %d s; "
            + "%.0f queries per hour (at TTL 5 s: %.0f)%n", services, Dnsmasq.TTL_SECONDS, queries.get(),
        bytes.get() / 1024.0, seconds, perHour, perHour * Dnsmasq.TTL_SECONDS / 5);
    System.exit(0);
  }

  private static void pump(DatagramSocket from, DatagramSocket to, InetSocketAddress server, java.util.Map<Integer, SocketAddress> client,
      AtomicLong queries, AtomicLong bytes) {
    byte[] buffer = new byte[4096];
    while (!from.isClosed()) {
      try {
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        from.receive(packet);
        client.put(id(packet), packet.getSocketAddress());
        queries.incrementAndGet();
        bytes.addAndGet(packet.getLength());
        to.send(new DatagramPacket(packet.getData(), packet.getLength(), server));
      } catch (java.io.IOException e) {
        return;
      }
    }
  }

  private static int id(DatagramPacket packet) {
    return (packet.getData()[0] & 0xff) << 8 | (packet.getData()[1] & 0xff);
  }

  private static void pumpBack(DatagramSocket from, DatagramSocket to, java.util.Map<Integer, SocketAddress> client, AtomicLong bytes) {
    byte[] buffer = new byte[4096];
    while (!from.isClosed()) {
      try {
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        from.receive(packet);
        bytes.addAndGet(packet.getLength());
        SocketAddress asker = client.remove(id(packet));
        if (asker != null) {
          to.send(new DatagramPacket(packet.getData(), packet.getLength(), asker));
        }
      } catch (java.io.IOException e) {
        return;
      }
    }
  }
}
