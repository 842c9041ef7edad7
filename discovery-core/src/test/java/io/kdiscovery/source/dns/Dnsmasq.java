package io.kdiscovery.source.dns;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * A real dnsmasq on 127.0.0.1 and a free port, serving only the records a test gives it: host records
 * from a hosts file (changed with {@link #hosts} and a SIGHUP) and SRV records from {@code --srv-host}
 * options (changed with {@link #srvHosts}, which restarts it: SIGHUP does not re-read options).
 * Names under {@code cluster.local} that it does not know get NXDOMAIN; it never forwards a query.
 *
 * <p>When dnsmasq is not installed, {@link #start} fails, saying how to install it; tests never skip.
 * Not thread-safe: one test drives it.
 */
public final class Dnsmasq implements AutoCloseable {

  static final int TTL_SECONDS = 1;

  private final Path dir;
  private final Path hostsFile;
  private final Path logFile;
  private final String executable;
  private List<String> srvHosts = List.of();
  private Map<String, Set<InetAddress>> hostLines = Map.of();
  private int port;
  private Process process;

  private Dnsmasq(Path dir, String executable) {
    this.dir = dir;
    this.executable = executable;
    this.hostsFile = dir.resolve("hosts");
    this.logFile = dir.resolve("dnsmasq.log");
  }

  /** Starts dnsmasq with these lines ({@code 127.0.0.11 web.default.svc.cluster.local}) as its hosts file. */
  public static Dnsmasq start(Path dir, String... hostLines) throws IOException {
    return start(dir, List.of(), hostLines);
  }

  /**
   * Starts dnsmasq with these SRV records ({@code name,target,port,priority,weight}) and host lines.
   */
  static Dnsmasq start(Path dir, List<String> srvHosts, String... hostLines) throws IOException {
    Dnsmasq dnsmasq = new Dnsmasq(dir, findExecutable());
    dnsmasq.srvHosts = List.copyOf(srvHosts);
    // dnsmasq drops root for 'nobody' and must still read the hosts file after a SIGHUP.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    dnsmasq.writeHosts(hostLines);
    dnsmasq.startOnFreePort();
    return dnsmasq;
  }

  /** Where to send queries. */
  public InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  /**
   * Replaces the host records and makes dnsmasq re-read them (SIGHUP, which also clears its cache);
   * returns once dnsmasq serves exactly these addresses for every name, old or new, so that a test
   * on fake time knows the next refresh sees the change.
   */
  void hosts(String... lines) throws IOException {
    Set<String> names = new TreeSet<>(hostLines.keySet());
    writeHosts(lines);
    names.addAll(hostLines.keySet());
    signalHup();
    await("dnsmasq serving the new hosts file").atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> {
          for (String name : names) {
            if (!served(name).equals(hostLines.getOrDefault(name, Set.of()))) {
              return false;
            }
          }
          return true;
        });
  }

  /** The A and AAAA addresses dnsmasq gives for a name now, straight from it. */
  private Set<InetAddress> served(String name) throws IOException {
    SimpleResolver probe = new SimpleResolver(address());
    probe.setTimeout(Duration.ofMillis(500));
    Set<InetAddress> addresses = new HashSet<>();
    for (int type : new int[] {Type.A, Type.AAAA}) {
      Message answer = probe.send(Message.newQuery(Record.newRecord(Name.fromString(name + "."), type, DClass.IN)));
      for (Record r : answer.getSection(Section.ANSWER)) {
        if (r instanceof ARecord a) {
          addresses.add(a.getAddress());
        } else if (r instanceof AAAARecord aaaa) {
          addresses.add(aaaa.getAddress());
        }
      }
    }
    return addresses;
  }

  /** Replaces the SRV records ({@code name,target,port,priority,weight}) and restarts dnsmasq on its port. */
  void srvHosts(String... specs) throws IOException {
    srvHosts = List.of(specs);
    if (process != null) {
      stop();
      startOnPort(port);
    }
  }

  /** Stops the server, so that queries go unanswered, until {@link #restart()}. */
  void stop() {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  /** Starts the server again on the same port. */
  void restart() throws IOException {
    if (process == null) {
      startOnPort(port);
    }
  }

  /** The process id, for sending it signals from a harness. */
  long pid() {
    return process.pid();
  }

  @Override
  public void close() {
    stop();
  }

  private void writeHosts(String... lines) throws IOException {
    Map<String, Set<InetAddress>> parsed = new HashMap<>();
    for (String line : lines) {
      String[] fields = line.trim().split("\\s+");
      InetAddress address = InetAddress.getByName(fields[0]); // an IP literal: no lookup
      for (int i = 1; i < fields.length; i++) {
        parsed.computeIfAbsent(fields[i].toLowerCase(java.util.Locale.ROOT), n -> new HashSet<>()).add(address);
      }
    }
    hostLines = parsed;
    Path tmp = dir.resolve("hosts.tmp");
    Files.writeString(tmp, String.join("\n", lines) + "\n");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
    Files.move(tmp, hostsFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  void signalHup() throws IOException {
    try {
      Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(process.pid()))
          .redirectErrorStream(true).start();
      if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IOException("kill -HUP " + process.pid() + " failed");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private void startOnFreePort() throws IOException {
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      try {
        startOnPort(freeUdpPort());
        return;
      } catch (IOException e) {
        last = e; // the port was taken in between, most likely
      }
    }
    throw last;
  }

  private void startOnPort(int port) throws IOException {
    this.port = port;
    List<String> command = new ArrayList<>(List.of(executable,
        "--keep-in-foreground", "--conf-file=/dev/null",
        "--port=" + port, "--listen-address=127.0.0.1", "--bind-interfaces",
        "--no-resolv", "--no-hosts", "--addn-hosts=" + hostsFile,
        "--local=/cluster.local/", "--domain-needed",
        "--local-ttl=" + TTL_SECONDS, "--pid-file=" + dir.resolve("dnsmasq.pid"),
        "--log-facility=-"));
    for (String srv : srvHosts) {
      command.add("--srv-host=" + srv);
    }
    process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
        .start();
    try {
      await("dnsmasq answering on 127.0.0.1:" + port)
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> {
            if (!process.isAlive()) {
              throw new IOException("dnsmasq exited with " + process.exitValue() + ": " + log());
            }
            return answers();
          });
    } catch (RuntimeException e) {
      stop();
      throw new IOException("dnsmasq did not start on port " + port + ": " + e.getMessage() + "\n" + log(), e);
    }
  }

  private boolean answers() {
    try {
      SimpleResolver probe = new SimpleResolver(address());
      probe.setTimeout(Duration.ofMillis(200));
      probe.send(Message.newQuery(Record.newRecord(Name.fromString("probe.cluster.local."), Type.A, DClass.IN)));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private String log() {
    try {
      return Files.readString(logFile);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static int freeUdpPort() throws IOException {
    try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      return socket.getLocalPort();
    }
  }

  private static String findExecutable() {
    List<Path> candidates = new ArrayList<>();
    for (String entry : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (!entry.isEmpty()) {
        candidates.add(Path.of(entry, "dnsmasq"));
      }
    }
    candidates.add(Path.of("/usr/sbin/dnsmasq"));
    candidates.add(Path.of("/sbin/dnsmasq"));
    for (Path candidate : candidates) {
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    throw new IllegalStateException("dnsmasq is not installed (not on PATH, nor in /usr/sbin):"
        + " the DNS source's tests need a real DNS server. Install it with"
        + " 'apt-get install -y dnsmasq-base' (Debian/Ubuntu) or run bin/install-test-tools");
  }
}
