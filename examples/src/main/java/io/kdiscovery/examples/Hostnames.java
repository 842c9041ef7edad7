package io.kdiscovery.examples;

/** The names and addresses of the hostnames scenario (hostnames.yaml), shared by every demo. */
final class Hostnames {

  static final String POD_1 = "hostnames-7d4c9-x2k8p";
  static final String POD_2 = "hostnames-7d4c9-m5q7r";
  static final String POD_3 = "hostnames-7d4c9-z9w4t";
  static final String POD_4 = "hostnames-7d4c9-k3j6v";
  /** The pods' port: the Service's port 80 (named {@code default}) targets it. */
  static final int POD_PORT = 9376;

  private Hostnames() {}
}
