package io.kdiscovery.source.dns;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * A DNS server on 127.0.0.1 (UDP and TCP on one free port) whose answers a test scripts: correct
 * ones, error codes, silence, garbage, truncated answers. For the failures a real server will not
 * produce on demand. Thread-safe: the script may be replaced while it runs.
 */
final class ScriptedDnsServer implements AutoCloseable {

  private final DatagramSocket udp;
  private final ServerSocket tcp;
  private final Thread udpThread;
  private final Thread tcpThread;
  private final AtomicInteger queries = new AtomicInteger();
  private final java.util.Set<Socket> connections = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private volatile Function<Message, byte[]> script = query -> answer(query, Rcode.SERVFAIL);
  private volatile boolean closed;

  ScriptedDnsServer() throws IOException {
    DatagramSocket[] u = new DatagramSocket[1];
    tcp = bindSamePort(u);
    udp = u[0];
    udpThread = new Thread(this::serveUdp, "scripted-dns-udp");
    tcpThread = new Thread(this::serveTcp, "scripted-dns-tcp");
    udpThread.setDaemon(true);
    tcpThread.setDaemon(true);
    udpThread.start();
    tcpThread.start();
  }

  /** A TCP server socket on the port number of a fresh UDP socket, which it stores in {@code udp[0]}. */
  private static ServerSocket bindSamePort(DatagramSocket[] udp) throws IOException {
    IOException last = null;
    for (int attempt = 0; attempt < 10; attempt++) {
      DatagramSocket u = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      ServerSocket t = new ServerSocket();
      try {
        t.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), u.getLocalPort()));
        udp[0] = u;
        return t;
      } catch (IOException e) {
        t.close();
        u.close(); // the TCP port of that number was taken; try another
        last = e;
      }
    }
    throw last;
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), udp.getLocalPort());
  }

  /** From now on, answers every query with what the script returns for it (null: no answer). */
  void script(Function<Message, byte[]> script) {
    this.script = script;
  }

  /** How many queries arrived so far, over UDP and TCP. */
  int queries() {
    return queries.get();
  }

  /** A response to the query with this code and these records in the answer section. */
  static byte[] answer(Message query, int rcode, Record... answers) {
    Message response = response(query, rcode);
    for (Record r : answers) {
      response.addRecord(r, Section.ANSWER);
    }
    return response.toWire();
  }

  /** A response with the TC bit set: "too large for UDP, ask over TCP". */
  static byte[] truncated(Message query) {
    Message response = response(query, Rcode.NOERROR);
    response.getHeader().setFlag(Flags.TC);
    return response.toWire();
  }

  /** The query's id, then a header announcing records that never come. */
  static byte[] garbage(Message query) {
    byte[] header = new byte[] {0, 0, (byte) 0x81, (byte) 0x80, 0, 1, 0, 5, 0, 0, 0, 0, 3, 'w', 'e'};
    int id = query.getHeader().getID();
    header[0] = (byte) (id >> 8);
    header[1] = (byte) id;
    return header;
  }

  private static Message response(Message query, int rcode) {
    Message response = new Message(query.getHeader().getID());
    response.getHeader().setFlag(Flags.QR);
    response.getHeader().setFlag(Flags.RD);
    response.getHeader().setFlag(Flags.RA);
    response.getHeader().setRcode(rcode);
    response.addRecord(query.getQuestion(), Section.QUESTION);
    return response;
  }

  private byte[] respond(byte[] wire) {
    queries.incrementAndGet();
    try {
      return script.apply(new Message(wire));
    } catch (IOException e) {
      return null;
    }
  }

  private void serveUdp() {
    byte[] buffer = new byte[4096];
    while (!closed) {
      try {
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        udp.receive(packet);
        byte[] out = respond(Arrays.copyOf(packet.getData(), packet.getLength()));
        if (out != null) {
          udp.send(new DatagramPacket(out, out.length, packet.getSocketAddress()));
        }
      } catch (IOException e) {
        // closed, or a client went away
      }
    }
  }

  private void serveTcp() {
    while (!closed) {
      try {
        Socket socket = tcp.accept();
        connections.add(socket);
        Thread handler = new Thread(() -> serveTcpConnection(socket), "scripted-dns-tcp-connection");
        handler.setDaemon(true);
        handler.start();
      } catch (IOException e) {
        // closed
      }
    }
  }

  /**
   * Every query on the connection, as a real server does: dnsjava pipelines the A and AAAA queries it
   * sends in parallel over one TCP connection, and answering only the first left the second to fail
   * with a bare EOF now and then.
   */
  private void serveTcpConnection(Socket socket) {
    try (socket) {
      DataInputStream in = new DataInputStream(socket.getInputStream());
      DataOutputStream reply = new DataOutputStream(socket.getOutputStream());
      while (!closed) {
        byte[] query = new byte[in.readUnsignedShort()];
        in.readFully(query);
        byte[] out = respond(query);
        if (out != null) {
          reply.writeShort(out.length);
          reply.write(out);
          reply.flush();
        }
      }
    } catch (IOException e) {
      // closed, or the client went away
    } finally {
      connections.remove(socket);
    }
  }

  @Override
  public void close() {
    closed = true;
    udp.close();
    try {
      tcp.close();
    } catch (IOException e) {
      // closing anyway
    }
    for (Socket socket : connections) {
      try {
        socket.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    try {
      udpThread.join(5000);
      tcpThread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
