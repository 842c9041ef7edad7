package io.kdiscovery.examples;

/** What the embedded EndpointSlice controller needs to know of a pod: its name and its IP. */
public interface PodAddress {

  String name();

  String ip();
}
