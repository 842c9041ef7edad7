package io.kdiscovery.spring;

import io.kdiscovery.SourceType;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Matches unless {@code kdiscovery.source=dns}: every other source reads the Kubernetes API. */
final class KubernetesSourceCondition extends SpringBootCondition {

  @Override
  public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
    SourceType source = Binder.get(context.getEnvironment())
        .bind("kdiscovery.source", SourceType.class).orElse(SourceType.KUBERNETES);
    return source == SourceType.DNS
        ? ConditionOutcome.noMatch("kdiscovery.source is dns: no Kubernetes client needed")
        : ConditionOutcome.match("kdiscovery.source is " + source.name().toLowerCase(java.util.Locale.ROOT));
  }
}
