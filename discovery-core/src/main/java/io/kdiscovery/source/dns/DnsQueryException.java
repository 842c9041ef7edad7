package io.kdiscovery.source.dns;

import java.io.IOException;

/**
 * A DNS server answered, but not usefully: SERVFAIL, REFUSED, another error code, or an answer that
 * is still truncated. Carries a one-line message for the listener's failure reason.
 */
final class DnsQueryException extends IOException {

  DnsQueryException(String message) {
    super(message);
  }
}
