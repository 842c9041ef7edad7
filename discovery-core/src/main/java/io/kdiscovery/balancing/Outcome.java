package io.kdiscovery.balancing;

/** How a request sent to a picked endpoint ended, as reported through {@link Pick#complete}. */
public enum Outcome {
  /** The endpoint answered, whatever the application thinks of the answer. */
  SUCCESS,
  /** The endpoint failed the request (a 5xx, a reset, a timeout): counts toward ejection. */
  FAILURE,
  /** Nothing answered at the address (refused, unreachable): may eject at once. */
  CONNECT_FAILURE,
  /** The request was never sent or was abandoned by the caller: releases the pick, says nothing. */
  CANCELLED
}
