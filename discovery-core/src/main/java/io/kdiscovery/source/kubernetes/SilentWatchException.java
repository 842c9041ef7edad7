package io.kdiscovery.source.kubernetes;

/**
 * A watch carried neither an event nor a bookmark for its idle bound, and the restart that followed
 * got no answer in time: its connection is presumed dead (a NAT entry or a load balancer dropped it
 * without closing it). Typed so that the status says {@link io.kdiscovery.source.FailureKind#SILENT}.
 */
final class SilentWatchException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  SilentWatchException(String message) {
    super(message, null, false, false);
  }
}
