package io.kdiscovery.source.dns;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.RoutableAddresses;
import io.kdiscovery.model.ServiceKey;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Looks up one Service port in DNS, the way cluster DNS publishes a headless Service.
 *
 * <p>Thread-safe: it holds immutable configuration and a thread-safe dnsjava {@link Resolver}. A
 * lookup never blocks its caller; its stages complete on dnsjava's I/O thread or on the executor.
 *
 * <ul>
 *   <li>A port given by number: A and AAAA records of {@code <service>.<namespace>.svc.<domain>.},
 *       one endpoint per address, at that port. DNS cannot map a Service port to the pods' target
 *       port, so the number is taken as the pods' port.
 *   <li>A port given by name: SRV records of {@code _<port>._<proto>.<service>.<namespace>.svc.<domain>.}.
 *       Only the records with the lowest priority value are used (RFC 2782: the others are fallbacks,
 *       and cluster DNS gives every record the same priority). Each target becomes one endpoint per
 *       address, with the record's port, its weight (at least 1) and the target as hostname. Target
 *       addresses come from the answer's additional section when it holds any for that target (as
 *       CoreDNS sends them), otherwise from A and AAAA queries of the target.
 * </ul>
 *
 * <p>Names are absolute (trailing dot), so no search list or {@code ndots} expansion applies.
 */
final class DnsLookup {

  /** Address order of the whole library: by address bytes (IPv4 first), then port. */
  private static final Comparator<Endpoint> ORDER = Comparator
      .comparing((Endpoint e) -> e.socketAddress().getAddress().getAddress(), DnsLookup::compareBytes)
      .thenComparingInt(Endpoint::port)
      .thenComparing(Endpoint::hostname, Comparator.nullsFirst(Comparator.naturalOrder()))
      .thenComparingInt(Endpoint::weight);

  private final Resolver resolver;
  private final Name clusterDomain;
  private final String srvProtocol;
  private final Executor executor;
  private final RoutableAddresses routable;

  /**
   * @param clusterDomain absolute, e.g. {@code cluster.local.}
   * @param executor where dnsjava finishes parsing answers
   * @param routable which addresses in an answer may become endpoints; the others are skipped
   */
  DnsLookup(Resolver resolver, Name clusterDomain, String srvProtocol, Executor executor,
      RoutableAddresses routable) {
    this.resolver = resolver;
    this.routable = routable;
    this.clusterDomain = clusterDomain;
    this.srvProtocol = srvProtocol;
    this.executor = executor;
  }

  /** {@code <service>.<namespace>.svc.<domain>.} */
  Name serviceName(ServiceKey key) throws TextParseException {
    return Name.fromString(key.name() + "." + key.namespace() + ".svc", clusterDomain);
  }

  /** {@code _<port>._<proto>.<service>.<namespace>.svc.<domain>.} */
  Name srvName(ServiceKey key) throws TextParseException {
    return Name.fromString("_" + key.port() + "._" + srvProtocol, serviceName(key));
  }

  /** Looks the key up; the stage always completes normally, a failure being a FAILED result. */
  CompletionStage<LookupResult> lookup(ServiceKey key) {
    CompletionStage<LookupResult> stage;
    try {
      stage = key.hasPortNumber() ? byAddress(key) : bySrv(key);
    } catch (TextParseException | RuntimeException e) {
      return CompletableFuture.completedFuture(LookupResult.failed(e));
    }
    return stage.exceptionally(e -> LookupResult.failed(unwrap(e)));
  }

  private CompletionStage<LookupResult> byAddress(ServiceKey key) throws TextParseException {
    Name name = serviceName(key);
    return addresses(name).thenApply(a -> {
      switch (a.kind()) {
        case NX_DOMAIN:
          return LookupResult.nxDomain(a.ttl());
        case NO_DATA:
          return LookupResult.noData(a.ttl());
        default:
          List<String> skipped = new ArrayList<>();
          List<Endpoint> endpoints = new ArrayList<>();
          for (InetAddress address : a.addresses()) {
            addEndpoint(endpoints, skipped, name, address, key.portNumber(), null, 1);
          }
          return LookupResult.found(sortedDistinct(endpoints), a.ttl(), skipped);
      }
    });
  }

  private CompletionStage<LookupResult> bySrv(ServiceKey key) throws TextParseException {
    Name name = srvName(key);
    return query(name, Type.SRV).thenCompose(answer -> {
      if (answer.rcode() == Rcode.NXDOMAIN) {
        return CompletableFuture.completedFuture(LookupResult.nxDomain(answer.ttl()));
      }
      List<SRVRecord> records = new ArrayList<>();
      for (Record r : answer.records()) {
        records.add((SRVRecord) r);
      }
      if (records.isEmpty()) {
        return CompletableFuture.completedFuture(LookupResult.noData(answer.ttl()));
      }
      List<String> skipped = new ArrayList<>();
      List<SRVRecord> usable = new ArrayList<>();
      for (SRVRecord srv : records) {
        if (srv.getTarget().equals(Name.root) || srv.getPort() == 0) {
          skipped.add("SRV record '" + srv.rdataToString() + "' of " + name + " names no usable target");
        } else {
          usable.add(srv);
        }
      }
      int lowest = usable.stream().mapToInt(SRVRecord::getPriority).min().orElse(0);
      usable.removeIf(srv -> srv.getPriority() != lowest);

      Map<Name, CompletableFuture<Addresses>> byTarget = new LinkedHashMap<>();
      for (SRVRecord srv : usable) {
        byTarget.computeIfAbsent(srv.getTarget(),
            target -> fromAdditional(answer, target).toCompletableFuture());
      }
      return CompletableFuture.allOf(byTarget.values().toArray(CompletableFuture[]::new))
          .thenApply(done -> {
            Long ttl = answer.ttl();
            List<Endpoint> endpoints = new ArrayList<>();
            for (SRVRecord srv : usable) {
              Addresses target = byTarget.get(srv.getTarget()).join();
              ttl = min(ttl, target.ttl());
              if (target.addresses().isEmpty()) {
                skipped.add("SRV target " + srv.getTarget() + " of " + name + " has no addresses");
              }
              for (InetAddress address : target.addresses()) {
                addEndpoint(endpoints, skipped, srv.getTarget(), address, srv.getPort(),
                    srv.getTarget().toString(true), Math.max(1, srv.getWeight()));
              }
            }
            return LookupResult.found(sortedDistinct(endpoints), ttl, skipped);
          });
    });
  }

  /** A target's addresses from the SRV answer's additional section, else from its own queries. */
  private CompletionStage<Addresses> fromAdditional(Answer srvAnswer, Name target) {
    List<InetAddress> addresses = new ArrayList<>();
    Long ttl = null;
    for (Record r : srvAnswer.additional()) {
      if (r.getName().equals(target) && (r.getType() == Type.A || r.getType() == Type.AAAA)) {
        addresses.add(address(r));
        ttl = min(ttl, r.getTTL());
      }
    }
    return addresses.isEmpty()
        ? addresses(target)
        : CompletableFuture.completedFuture(new Addresses(LookupResult.Kind.FOUND, addresses, ttl));
  }

  /** A and AAAA of one name, queried in parallel. */
  private CompletionStage<Addresses> addresses(Name name) {
    return query(name, Type.A).thenCombine(query(name, Type.AAAA), (a, aaaa) -> {
      List<InetAddress> addresses = new ArrayList<>();
      for (Record r : a.records()) addresses.add(address(r));
      for (Record r : aaaa.records()) addresses.add(address(r));
      LookupResult.Kind kind = !addresses.isEmpty() ? LookupResult.Kind.FOUND
          : a.rcode() == Rcode.NXDOMAIN || aaaa.rcode() == Rcode.NXDOMAIN ? LookupResult.Kind.NX_DOMAIN
          : LookupResult.Kind.NO_DATA;
      return new Addresses(kind, addresses, min(a.ttl(), aaaa.ttl()));
    });
  }

  /** One query; fails with a {@link DnsQueryException} unless the answer is NOERROR or NXDOMAIN. */
  private CompletionStage<Answer> query(Name name, int type) {
    Message query = Message.newQuery(Record.newRecord(name, type, DClass.IN));
    return resolver.sendAsync(query, executor).thenApply(response -> {
      String what = name + " " + Type.string(type);
      if (response.getHeader().getFlag(Flags.TC)) {
        throw new CompletionException(new DnsQueryException("truncated answer for " + what));
      }
      int rcode = response.getRcode();
      if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
        throw new CompletionException(
            new DnsQueryException(Rcode.string(rcode) + " answer for " + what));
      }
      List<Record> records = new ArrayList<>();
      Long ttl = null;
      for (Record r : response.getSection(Section.ANSWER)) {
        ttl = min(ttl, r.getTTL());
        if (r.getType() == type) {
          records.add(r);
        }
      }
      if (records.isEmpty()) {
        ttl = negativeTtl(response);
      }
      return new Answer(rcode, records, response.getSection(Section.ADDITIONAL), ttl);
    });
  }

  /** RFC 2308: a negative answer lives as long as the smaller of its SOA's TTL and minimum field. */
  private static Long negativeTtl(Message response) {
    for (Record r : response.getSection(Section.AUTHORITY)) {
      if (r instanceof SOARecord soa) {
        return Math.min(soa.getTTL(), soa.getMinimum());
      }
    }
    return null;
  }

  private static InetAddress address(Record r) {
    return r instanceof ARecord a ? a.getAddress() : ((AAAARecord) r).getAddress();
  }

  private void addEndpoint(List<Endpoint> endpoints, List<String> skipped, Name owner,
      InetAddress address, int port, String hostname, int weight) {
    String refusal = routable.refusal(address);
    if (refusal != null) {
      skipped.add("address " + address.getHostAddress() + " of " + owner + " skipped: " + refusal);
      return;
    }
    try {
      endpoints.add(Endpoint.builder(address.getHostAddress(), port)
          .hostname(hostname)
          .weight(weight)
          .build());
    } catch (IllegalArgumentException e) {
      skipped.add("record of " + owner + " skipped: " + e.getMessage());
    }
  }

  /** Sorted by address then port; of two endpoints at one address and port, the first is kept. */
  static List<Endpoint> sortedDistinct(List<Endpoint> endpoints) {
    List<Endpoint> sorted = new ArrayList<>(endpoints);
    sorted.sort(ORDER);
    List<Endpoint> distinct = new ArrayList<>(sorted.size());
    for (Endpoint e : sorted) {
      Endpoint last = distinct.isEmpty() ? null : distinct.get(distinct.size() - 1);
      if (last == null || last.port() != e.port() || !last.address().equals(e.address())) {
        distinct.add(e);
      }
    }
    return distinct;
  }

  private static int compareBytes(byte[] a, byte[] b) {
    return a.length != b.length ? Integer.compare(a.length, b.length) : Arrays.compareUnsigned(a, b);
  }

  private static Long min(Long a, Long b) {
    return a == null ? b : b == null ? a : Long.valueOf(Math.min(a, b));
  }

  static Throwable unwrap(Throwable e) {
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  /** A NOERROR or NXDOMAIN answer: the records of the type asked, the additional section, its TTL. */
  private record Answer(int rcode, List<Record> records, List<Record> additional, Long ttl) {}

  /** The addresses of one name. */
  private record Addresses(LookupResult.Kind kind, List<InetAddress> addresses, Long ttl) {}
}
