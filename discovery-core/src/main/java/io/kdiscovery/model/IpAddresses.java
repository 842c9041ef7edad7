package io.kdiscovery.model;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.xbill.DNS.Address;

/**
 * Strict parsing of IP literals. Never performs a DNS lookup, unlike {@link InetAddress#getByName},
 * which would try to resolve a malformed address such as {@code not-an-ip} as a host name.
 */
final class IpAddresses {

  private IpAddresses() {}

  /** Parses an IPv4 or IPv6 literal, or returns null when {@code text} is neither. */
  static InetAddress parse(String text) {
    if (text == null || text.isEmpty()) {
      return null;
    }
    int family = text.indexOf(':') >= 0 ? Address.IPv6 : Address.IPv4;
    byte[] bytes = Address.toByteArray(text, family);
    if (bytes == null) {
      return null;
    }
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      return null; // only thrown for a wrong length, which toByteArray never returns
    }
  }

  /**
   * The canonical text of {@code address}, as {@code text} (the literal it was parsed from) when that
   * is canonical already: the endpoint then shares the string its source keeps anyway.
   */
  static String canonical(InetAddress address, String text) {
    String canonical = canonical(address);
    return canonical.equals(text) ? text : canonical;
  }

  /** The canonical text of an address: dotted quad, or RFC 5952 compressed IPv6 ({@code fd00::5}). */
  static String canonical(InetAddress address) {
    byte[] b = address.getAddress();
    if (b.length == 4) {
      return address.getHostAddress();
    }
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    }
    // RFC 5952: compress the longest run (first if tied) of two or more zero groups.
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; ) {
      int j = i;
      while (j < 8 && groups[j] == 0) j++;
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    StringBuilder text = new StringBuilder(39);
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        text.append("::");
        i += bestLength - 1;
        continue;
      }
      if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
        text.append(':');
      }
      text.append(Integer.toHexString(groups[i]));
    }
    return text.toString();
  }
}
