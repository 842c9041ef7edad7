package io.kdiscovery.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which host names are read as Services: the whole table of forms. */
class ClusterNamesTest {

  private final ClusterNames names = new ClusterNames("cluster.local", "shop", Set.of("shop", "infra"));

  private String read(String host) {
    ClusterNames.ServiceName n = names.parse(host);
    return n == null ? null : n.namespace() + "/" + n.name() + (n.shortForm() ? " (short)" : "");
  }

  @Test
  void everyFormOfAServiceName() {
    assertThat(read("web.shop.svc.cluster.local")).isEqualTo("shop/web");
    assertThat(read("web.other.svc.cluster.local.")).isEqualTo("other/web");
    assertThat(read("WEB.Shop.SVC.cluster.local")).isEqualTo("shop/web");
    assertThat(read("web.other.svc")).isEqualTo("other/web");
    assertThat(read("web.infra")).isEqualTo("infra/web (short)");
    assertThat(read("web")).isEqualTo("shop/web (short)");
  }

  @Test
  void namesThatAreNotServices() {
    assertThat(read("example.com")).as("'com' is not a namespace of short names").isNull();
    assertThat(read("api.example.com")).isNull();
    assertThat(read("a.b.c.svc.cluster.local")).isNull();
    assertThat(read("web.shop.svc.example.org")).isNull();
    assertThat(read("localhost")).isNull();
    assertThat(read("10.0.0.1")).isNull();
    assertThat(read("::1")).isNull();
    assertThat(read("my_host")).as("not a DNS label").isNull();
    assertThat(read("")).isNull();
  }

  @Test
  void anotherClusterDomain() {
    ClusterNames custom = new ClusterNames("corp.internal.", "default", Set.of("default"));
    assertThat(custom.parse("web.shop.svc.corp.internal")).isNotNull();
    assertThat(custom.parse("web.shop.svc.cluster.local")).isNull();
    assertThatThrownBy(() -> new ClusterNames("", "default", Set.of())).hasMessageContaining("cluster.local");
  }
}
