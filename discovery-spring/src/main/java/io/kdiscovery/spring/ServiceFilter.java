package io.kdiscovery.spring;

import io.fabric8.kubernetes.api.model.Service;
import java.util.function.Predicate;
import org.springframework.expression.EvaluationException;
import org.springframework.expression.Expression;
import org.springframework.expression.ParseException;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.expression.spel.support.SimpleEvaluationContext;

/**
 * {@code kdiscovery.filter}: a SpEL expression on each fabric8 {@code Service}, evaluated as Spring
 * Cloud Kubernetes evaluates {@code spring.cloud.kubernetes.discovery.filter} (read-only data binding
 * with instance methods), so its expressions carry over unchanged.
 *
 * <p>Immutable and thread-safe. A bad expression fails the application's start; an expression that
 * fails on one Service excludes that Service and is logged.
 */
final class ServiceFilter implements Predicate<Service> {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ServiceFilter.class);

  private final String source;
  private final Expression expression;
  private final SimpleEvaluationContext context =
      SimpleEvaluationContext.forReadOnlyDataBinding().withInstanceMethods().build();

  private ServiceFilter(String source, Expression expression) {
    this.source = source;
    this.expression = expression;
  }

  /** The filter of {@code expression}; every Service passes when it is null or blank. */
  static Predicate<Service> of(String expression) {
    if (expression == null || expression.isBlank()) {
      return service -> true;
    }
    try {
      return new ServiceFilter(expression, new SpelExpressionParser().parseExpression(expression));
    } catch (ParseException e) {
      throw new IllegalArgumentException("kdiscovery.filter is not a SpEL expression: " + expression, e);
    }
  }

  @Override
  public boolean test(Service service) {
    try {
      return Boolean.TRUE.equals(expression.getValue(context, service, Boolean.class));
    } catch (EvaluationException e) {
      log.warn("kdiscovery.filter '{}' failed on Service {}.{}; the Service is left out", source,
          service.getMetadata().getName(), service.getMetadata().getNamespace(), e);
      return false;
    }
  }
}
